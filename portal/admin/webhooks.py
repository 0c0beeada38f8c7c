"""The admin's webhook pages at /admin/webhooks: register an endpoint (its secret shown once),
see every delivery and each attempt's answer, send one again, disable, enable or delete an
endpoint.

Org admins reach their organisation's endpoints, staff every organisation's (as with exports);
everyone else gets 404. Another organisation's endpoint or delivery answers 404 too.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from portal import formtokens
from portal.admin import access
from portal.extensions import db
from portal.models import WebhookDelivery, WebhookEndpoint
from portal.tenancy import PUBLIC_ID
from portal.webhooks import endpoints
from portal.webhooks.catalogue import DESCRIPTIONS, EventType
from portal.webhooks.endpoints import EndpointError, Registration

bp = Blueprint("webhooks", __name__, url_prefix="/admin/webhooks")
SHOWN_DELIVERIES = 50


@bp.before_request
def admins_only():
    access.require_admin()


@bp.get("/")
def index():
    return endpoints_page()


def endpoints_page(form: dict | None = None, error: str | None = None, status: int = 200):
    """The list and the registration form; a refused form comes back with its values."""
    listed = db.session.scalars(
        access.within_reach(WebhookEndpoint).order_by(WebhookEndpoint.created_at.desc())
    ).all()
    page = render_template(
        "admin/webhooks.html",
        endpoints=listed,
        events=DESCRIPTIONS,
        form=form or {"events": [str(event) for event in EventType]},
        error=error,
    )
    return page, status


@bp.post("/")
def register():
    """The new endpoint with its secret, as this POST's answer; a repeat of the same form (a
    reload) answers with the endpoint it made (portal/formtokens.py) and no secret."""
    token = formtokens.posted()
    form = {
        "url": request.form.get("url", ""),
        "events": request.form.getlist("events"),
        "description": request.form.get("description", ""),
    }
    try:
        registration = Registration.parse(**form, config=current_app.config)
        endpoint = formtokens.create_once(
            WebhookEndpoint, token, lambda: endpoints.register(registration, current_user, token)
        )
    except formtokens.AlreadyUsed as used:
        return created_page(used.row, repeated=True, status=200)
    except EndpointError as exc:
        return endpoints_page(form=form, error=str(exc), status=400)
    except IntegrityError:
        return endpoints_page(form=form, error=endpoints.URL_TAKEN, status=400)
    current_app.logger.info("admin %s: webhook endpoint %s", current_user.email, endpoint.public_id)
    return created_page(endpoint, repeated=False, status=201)


def created_page(endpoint: WebhookEndpoint, repeated: bool, status: int):
    page = render_template("admin/webhook_created.html", endpoint=endpoint, repeated=repeated)
    return page, status, {"Cache-Control": "no-store"}


@bp.get("/<endpoint_id>")
def detail(endpoint_id: str):
    endpoint = endpoint_or_404(endpoint_id)
    deliveries = db.session.scalars(
        select(WebhookDelivery)
        .options(selectinload(WebhookDelivery.tries))
        .where(WebhookDelivery.endpoint_id == endpoint.id)
        .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())
        .limit(SHOWN_DELIVERIES)
    ).all()
    return render_template(
        "admin/webhook.html", endpoint=endpoint, deliveries=deliveries, events=DESCRIPTIONS
    )


@bp.post("/<endpoint_id>/disable")
def disable(endpoint_id: str):
    endpoint = endpoint_or_404(endpoint_id)
    endpoints.disable(endpoint, current_user)
    flash("Disabled: no more events are sent to this endpoint until it is enabled.", "success")
    return redirect(url_for("webhooks.detail", endpoint_id=endpoint_id), code=303)


@bp.post("/<endpoint_id>/enable")
def enable(endpoint_id: str):
    endpoint = endpoint_or_404(endpoint_id)
    endpoints.enable(endpoint)
    flash("Enabled: new events are sent to it again.", "success")
    return redirect(url_for("webhooks.detail", endpoint_id=endpoint_id), code=303)


@bp.post("/<endpoint_id>/delete")
def delete(endpoint_id: str):
    """Only with the box ticked that says what goes with it: a stray click deletes nothing."""
    endpoint = endpoint_or_404(endpoint_id)
    if request.form.get("confirmed") != "yes":
        abort(400, "Tick the box to confirm that the endpoint and its delivery log go too.")
    endpoints.delete(endpoint)
    current_app.logger.info(
        "admin %s: deleted webhook endpoint %s", current_user.email, endpoint_id
    )
    flash(f"Deleted the endpoint {endpoint.url}.", "success")
    return redirect(url_for("webhooks.index"), code=303)


@bp.post("/deliveries/<delivery_id>/send-again")
def send_again(delivery_id: str):
    delivery = delivery_or_404(delivery_id)
    try:
        endpoints.send_again(delivery)
    except EndpointError as exc:
        abort(409, str(exc))
    flash("Queued to be sent again; its attempt appears below.", "success")
    return redirect(url_for("webhooks.detail", endpoint_id=delivery.endpoint.public_id), code=303)


def endpoint_or_404(public_id: str) -> WebhookEndpoint:
    return in_reach_or_404(WebhookEndpoint, public_id)


def delivery_or_404(public_id: str) -> WebhookDelivery:
    return in_reach_or_404(WebhookDelivery, public_id)


def in_reach_or_404(model, public_id: str):
    """The row, if this admin may see it; anything else is 404, like an id never issued."""
    if not PUBLIC_ID.fullmatch(public_id or ""):
        abort(404)
    query = access.within_reach(model).where(model.public_id == public_id)
    return db.session.scalar(query) or abort(404)

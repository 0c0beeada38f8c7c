"""One delivery at a time, in this process, against a real receiver on 127.0.0.1: signed as
Standard Webhooks says, every attempt logged, retried with backoff over about a day, given up
after the last retry, and an endpoint failing for a day disabled with its admins emailed
(the clock is moved with time-machine, not waited for)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import redis
import time_machine
from rq import Queue
from rq.registry import ScheduledJobRegistry
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from jobs.sweep import run_recovery
from portal import queues
from portal.extensions import db
from portal.models import utcnow
from portal.webhooks import delivery as deliveries
from portal.webhooks.delivery import deliver
from portal.webhooks.signing import new_secret
from tests.factories import login
from tests.helpers import csrf
from tests.servers import Receiver, wait_for_mail

DAY_OF_RETRIES = [5, 300, 1800, 7200, 18000, 36000, 36000]


def reloaded(row):
    db.session.expire_all()
    return db.session.get(type(row), row.id)


def scheduled(app) -> int:
    connection = redis.Redis.from_url(app.config["REDIS_URL"])
    return ScheduledJobRegistry(queues.WEBHOOKS, connection=connection).count


def test_the_receiver_gets_a_post_whose_signature_verifies(app, receiver, endpoint, make_delivery):
    delivery = make_delivery()
    assert deliver(delivery.id) == "delivered on attempt 1"
    [request] = receiver.requests
    assert (request.method, request.path) == ("POST", "/in")
    assert request.headers["webhook-id"] == f"msg_{delivery.public_id}"
    body = Webhook(endpoint.secret).verify(request.body, request.headers)
    assert body == delivery.payload and body["type"] == "export.completed"
    delivery = reloaded(delivery)
    assert delivery.delivered_at and delivery.due_at is None
    [attempt] = delivery.tries
    assert (attempt.status_code, attempt.succeeded, attempt.response_excerpt) == (200, True, "ok")


def test_a_tampered_body_or_another_secret_does_not_verify(receiver, endpoint, make_delivery):
    deliver(make_delivery().id)
    [request] = receiver.requests
    forged = request.body.replace(b"completed", b"cancelled")
    for secret, body in ((endpoint.secret, forged), (new_secret(), request.body)):
        with pytest.raises(WebhookVerificationError, match="No matching signature"):
            Webhook(secret).verify(body, request.headers)


def test_a_failed_attempt_is_logged_and_retried_after_the_first_interval(
    app, receiver, make_delivery
):
    receiver.status, receiver.body = 503, b"busy " * 400
    delivery = make_delivery()
    before = utcnow()
    assert deliver(delivery.id) == "attempt 1 failed (HTTP 503)"
    delivery = reloaded(delivery)
    [attempt] = delivery.tries
    assert (attempt.status_code, attempt.succeeded, attempt.error) == (503, False, "HTTP 503")
    assert len(attempt.response_excerpt) == 1024 and attempt.latency_ms >= 0
    interval = app.config["WEBHOOK_RETRY_INTERVALS"][0]
    assert before + timedelta(seconds=interval) <= delivery.due_at
    assert scheduled(app) == 1
    assert deliver(delivery.id) == "not due, or another job is attempting it"
    assert len(receiver.requests) == 1


def test_a_redirect_is_a_failed_attempt_and_is_not_followed(receiver, make_delivery):
    with Receiver() as trap:
        receiver.status, receiver.headers = 307, {"Location": f"{trap.url}/inside"}
        result = deliver(make_delivery().id)
    assert result == "attempt 1 failed (HTTP 307: redirects are not followed)"
    assert trap.requests == []


def test_a_url_the_guard_now_refuses_is_a_failed_attempt_without_a_status(make_delivery):
    delivery = make_delivery()
    endpoint = delivery.endpoint
    endpoint.url = "http://127.0.0.1:9/in"  # the discard port: refused by the guard
    db.session.commit()
    deliver(delivery.id)
    [attempt] = reloaded(delivery).tries
    assert attempt.status_code is None and "not a public internet address" in attempt.error


def test_retries_run_out_after_about_a_day_then_the_delivery_is_given_up(
    app, receiver, make_delivery
):
    app.config["WEBHOOK_DISABLE_AFTER_HOURS"] = 48
    assert app.config["WEBHOOK_RETRY_INTERVALS"] == DAY_OF_RETRIES
    receiver.status = 500
    delivery = make_delivery()
    with time_machine.travel(utcnow(), tick=False) as clock:
        for wait in DAY_OF_RETRIES:
            deliver(delivery.id)
            clock.shift(timedelta(seconds=wait))
        assert deliver(delivery.id) == "attempt 8 failed (HTTP 500)"
        delivery = reloaded(delivery)
        assert delivery.gave_up_at and delivery.due_at is None
        assert sum(DAY_OF_RETRIES) / 3600 > 24
    assert [a.number for a in delivery.tries] == list(range(1, 9))
    assert len(receiver.requests) == 8


def test_an_endpoint_failing_for_a_day_is_disabled_and_its_admins_emailed(
    app, world, receiver, make_delivery, worker, mail_sink
):
    receiver.status = 500
    first, second = make_delivery(), make_delivery()
    with time_machine.travel(utcnow(), tick=False) as clock:
        deliver(first.id)
        assert reloaded(first.endpoint).failing_since is not None
        clock.shift(timedelta(hours=23))
        deliver(second.id)
        assert reloaded(first.endpoint).enabled
        clock.shift(timedelta(hours=1, seconds=1))
        assert deliver(second.id) == "attempt 2 failed (HTTP 500); endpoint disabled"
    endpoint = reloaded(first.endpoint)
    assert not endpoint.enabled and "24 hours" in endpoint.disabled_reason
    assert reloaded(second).gave_up_at
    assert deliver(first.id) in (
        "endpoint disabled: given up",
        "not due, or another job is attempting it",
    )
    with worker("--queues", queues.MAIL):
        [mail] = wait_for_mail(mail_sink, 1)
    assert mail["X-Envelope-To"] == "admin@acme.test"
    assert "disabled" in mail["Subject"] and endpoint.url in mail.as_string()


def test_a_success_stops_the_failing_clock(receiver, make_delivery):
    receiver.status = 500
    failing = make_delivery()
    deliver(failing.id)
    assert reloaded(failing.endpoint).failing_since
    receiver.status = 200
    deliver(make_delivery().id)
    assert reloaded(failing.endpoint).failing_since is None


def test_a_claimed_delivery_is_not_attempted_by_a_second_job(receiver, make_delivery):
    delivery = make_delivery()
    assert deliveries.claim(delivery.id)
    assert deliver(delivery.id) == "not due, or another job is attempting it"
    assert receiver.requests == []


def test_the_recovery_pass_hands_over_a_delivery_whose_job_was_lost(app, make_delivery):
    delivery = make_delivery()
    lane = Queue(queues.WEBHOOKS, connection=redis.Redis.from_url(app.config["REDIS_URL"]))
    lane.empty()  # Redis lost the job
    assert run_recovery()["webhooks_requeued"] == 0  # not overdue yet
    with time_machine.travel(utcnow() + deliveries.OVERDUE + timedelta(seconds=1)):
        assert run_recovery()["webhooks_requeued"] == 1
        assert run_recovery()["webhooks_requeued"] == 0  # handed over once per lease
    assert [job.args[0] for job in lane.jobs] == [delivery.id]


def test_send_again_makes_a_delivered_one_due_and_logs_a_second_attempt(
    client, world, receiver, make_delivery
):
    delivery = make_delivery()
    deliver(delivery.id)
    login(client, "admin@acme.test")
    response = client.post(
        f"/admin/webhooks/deliveries/{delivery.public_id}/send-again",
        data={"csrf_token": csrf(client)},
    )
    assert response.status_code == 303
    assert deliver(delivery.id) == "delivered on attempt 2"
    assert [json.loads(r.body)["data"]["id"] for r in receiver.requests] == [
        delivery.payload["data"]["id"]
    ] * 2
    assert [attempt.number for attempt in reloaded(delivery).tries] == [1, 2]


def test_send_now_tries_a_delivery_that_waits_for_its_next_retry(client, receiver, make_delivery):
    receiver.status = 503
    delivery = make_delivery()
    deliver(delivery.id)
    receiver.status = 200
    login(client, "admin@acme.test")
    page = client.get(f"/admin/webhooks/{delivery.endpoint.public_id}").get_data(as_text=True)
    assert "Send now" in page and "503" in page
    client.post(
        f"/admin/webhooks/deliveries/{delivery.public_id}/send-again",
        data={"csrf_token": csrf(client)},
    )
    assert deliver(delivery.id) == "delivered on attempt 2"

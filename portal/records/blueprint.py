"""The records blueprint, shared by the modules that add routes to it."""

from flask import Blueprint

bp = Blueprint("records", __name__)

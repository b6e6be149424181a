"""Fraud's place in the back office: its menu and the analysts' queue tile."""

from core.backoffice.registry import FRAUD, MenuItem, Tile, add_menu, add_tile
from fraud import selectors


def register():
    add_menu(
        MenuItem(FRAUD, "Review queue", model="fraud.FraudReview", icon="policy", order=10),
        MenuItem(FRAUD, "Assessments", model="fraud.FraudAssessment", icon="analytics", order=20),
        MenuItem(FRAUD, "Alerts", model="fraud.FraudAlert", icon="notifications", order=30),
        MenuItem(FRAUD, "Rules", model="fraud.FraudRule", icon="tune", order=40),
        MenuItem(FRAUD, "Block and allow lists", model="fraud.ListEntry", icon="block", order=50),
    )
    add_tile(
        Tile(
            key="fraud_reviews_open",
            title="Fraud reviews open",
            model="fraud.FraudReview",
            count=selectors.review_open_count,
            description="Held authorizations: approve to capture, reject to void, before they lapse.",
            tone="danger",
            order=20,
        )
    )

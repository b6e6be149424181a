"""Teaches the OpenAPI generator how our credentials appear on the wire."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class SecretKeyScheme(OpenApiAuthenticationExtension):
    target_class = "merchants.authentication.SecretKeyAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A secret API key (`sk_test_…`); browser-side calls: a publishable key or client token.",
        }


class OAuth2Scheme(OpenApiAuthenticationExtension):
    target_class = "merchants.authentication.MerchantOAuth2Authentication"
    name = "oauth2"

    def get_security_definition(self, auto_schema):
        return {
            "type": "oauth2",
            "flows": {"clientCredentials": {"tokenUrl": "/v1/oauth/token/", "scopes": {"checkout": "Checkout API"}}},
        }

"""``[webhook]``: one signed JSON POST per announcement, for Slack, n8n, Zapier and the like."""

from __future__ import annotations

from pydantic import SecretStr, field_validator, model_validator

from heartbeat_bot.config.fields import Section, check_shared_secret, require
from heartbeat_bot.config.urls import check_http_url


class WebhookConfig(Section):
    enabled: bool = False
    # A secret too: whoever knows a Slack workflow's or n8n's webhook URL can post to it.
    url: SecretStr | None = None
    secret: SecretStr | None = None

    @field_validator("url")
    @classmethod
    def _url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        try:
            check_http_url(value.get_secret_value(), display="the webhook URL")
        except ValueError:
            # The check's own message may quote the URL; it is a credential here.
            raise ValueError(
                "must be an http(s) URL with a host, without a user name or password"
            ) from None
        return value

    @field_validator("secret")
    @classmethod
    def _secret(cls, value: SecretStr | None) -> SecretStr | None:
        return check_shared_secret(value)

    @model_validator(mode="after")
    def _complete_when_enabled(self) -> WebhookConfig:
        if self.enabled:
            require(self, "webhook", ("url", "secret"))
        return self

"""Every setting is checked when it is read: ranges, URL forms, placeholders, ids, ports."""

from __future__ import annotations

from pathlib import Path

import pytest

from heartbeat_bot.channels.settings import load_config
from heartbeat_bot.errors import ConfigError

WEBHOOK_TOKEN = "Zx9-webhook_TOKEN.value"


def load(tmp_path: Path, text: str) -> str:
    """The one-line error that loading ``text`` gives."""
    path = tmp_path / "heartbeat.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    line = str(info.value)
    assert line.startswith("config error: ") and "\n" not in line
    return line


def loads(tmp_path: Path, text: str) -> None:
    path = tmp_path / "heartbeat.toml"
    path.write_text(text, encoding="utf-8")
    load_config(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[blog]\npoll_interval = inf", "blog.poll_interval must be a finite number of seconds"),
        ("[blog]\npoll_interval = nan", "blog.poll_interval must be a finite number of seconds"),
        ("[blog]\npoll_interval = -5", "blog.poll_interval must be at least 1 (seconds), got -5"),
        ("[blog]\npoll_interval = 1e300", "blog.poll_interval must be at most 86400 (seconds)"),
        ("[blog]\npoll_interval = true", "blog.poll_interval must be a number of seconds"),
        ("[blog]\nlive_timeout = -1", "blog.live_timeout must be at least 0 (seconds)"),
        ("[blog]\nlive_timeout = 1e9", "blog.live_timeout must be at most 604800 (seconds)"),
        ("[service]\nbackfill_interval = inf", "service.backfill_interval must be a finite"),
        ("[service]\nmax_attempts = 0", "service.max_attempts must be at least 1, got 0"),
        ("[service]\nmax_attempts = 100000", "service.max_attempts must be at most 100"),
        ("[discourse]\nmax_tags = -1", "discourse.max_tags must be at least 0"),
        ("[discourse]\nmax_tag_length = 1000", "discourse.max_tag_length must be at most 100"),
        ("[discourse]\ncategory = -7", "discourse.category must be at least 1, got -7"),
        ("[discourse]\ncategory = true", "discourse.category must be an integer, got true"),
        ("[discord]\nchannel_id = 0", "discord.channel_id must be at least 1, got 0"),
        ("[discord]\nguild_id = -1", "discord.guild_id must be at least 1"),
        ("[discord]\nallowed_role_ids = [5, -2]", "discord.allowed_role_ids must be at least 1"),
        ("[discord]\nmention_role_id = 18446744073709551616", "discord.mention_role_id"),
        (
            '[service]\nhttp = "127.0.0.1:99999"',
            "config error: service.http: port must be 1-65535 (or 0 for any free port), got 99999",
        ),
        ('[service]\nhttp = "127.0.0.1:http"', 'service.http: port must be a number, got "http"'),
        ('[service]\nhttp = "::1:8080"', "service.http: an IPv6 address goes in brackets"),
        ('[service]\nhttp = "local host:80"', 'service.http: host "local host" is not a host'),
        ('[service]\nhttp = "8080"', 'service.http must be "host:port"'),
        ('[discourse]\nurl = "ftp://x"', "discourse.url must be an absolute http:// or https://"),
        ('[discourse]\nurl = "https://"', "discourse.url must be an absolute http:// or https://"),
        ('[discourse]\nurl = "discuss.example"', "discourse.url must be an absolute http://"),
        ('[discourse]\nurl = "https://f.example:0"', "discourse.url has an invalid port"),
        ('[discourse]\nurl = "https://f.example/?x=1"', "discourse.url must not have a ?query"),
        ('[discord]\napi_url = "https://d ex.com/api"', "discord.api_url must not contain spaces"),
        ('[discord]\ngateway_url = "https://gateway.discord.gg"', "must be an absolute ws://"),
        ('[twitter]\napi_url = "x.com"', "twitter.api_url must be an absolute http"),
        ('[github]\napi_url = "file:///etc"', "github.api_url must be an absolute http"),
        (
            '[blog]\npost_url = "https://x.example/{slug}/{oops}"',
            "blog.post_url has an unknown placeholder {oops} (known: {slug}, {filename}, {route}, "
            "{year}, {month}, {day}, {categories}, {section})",
        ),
        ('[blog]\npost_url = "https://x.example/{slug}}"', "blog.post_url has an unmatched {"),
        ('[blog]\npost_url = "/blog/{slug}"', "blog.post_url must be an absolute http:// or"),
        ('[blog]\npost_url = "javascript:alert(1)//{slug}"', "blog.post_url must be an absolute"),
        ('[blog]\npost_url = "https://x.example/blog"', "blog.post_url must contain {slug}"),
        ('[blog]\npicture_url = "images/{picture}"', "blog.picture_url must be an absolute"),
        ('[blog]\npicture_url = "https://x.example/{slug}.png"', "unknown placeholder {slug}"),
        ('[blog]\nsite_name = ""', "blog.site_name must not be empty"),
        ('[blog]\ngit_url = "-uhack"', "blog.git_url must be a URL or a path"),
        ('[blog]\ngit_url = "gopher://x.example/r"', "blog.git_url must be an https://"),
        ('[blog]\ngit_branch = "-f"', 'blog.git_branch must be a valid git branch name, got "-f"'),
        ('[blog]\ngit_branch = "a..b"', "blog.git_branch must be a valid git branch name"),
        ('[blog]\ngit_path = "../elsewhere"', "blog.git_path must be a folder inside"),
        ('[blog]\ngit_author_email = "nobody"', "blog.git_author_email must be an e-mail"),
        ('[github]\npull_branch = "with space"', "github.pull_branch must be a valid git branch"),
        ('[github]\nwebhook_secret = ""', "github.webhook_secret is empty"),
        ('[discourse]\napi_key = ""', "discourse.api_key is empty"),
        ('[discourse]\napi_username = "two words"', "discourse.api_username must be a Discourse"),
        ('[state]\npath = ""', "state.path must name a file"),
        (
            '[blog]\ngit_url = "https://x.example/b.git"\nwrite_back = "pull_request"\n'
            '[github]\nrepository = "o/b"\ntoken = "t0ken"\npull_branch = "main"',
            "github.pull_branch must differ from blog.git_branch",
        ),
        ('poll_interval = 5\n[blog]\nsite_name = "x"', "poll_interval is not a known setting "),
        ("[discourse]\ncategori = 3", "discourse.categori is not a known setting (did you mean"),
        ('[discourse]\nposts_dir = "p"', "(it belongs under [blog])"),
        ('source = "/etc"', "source is not a known setting"),
        ("_cli_parse_args = true", "_cli_parse_args is not a known setting"),
    ],
)
def test_bad_value_is_one_line_naming_the_setting(tmp_path: Path, text: str, message: str) -> None:
    """Each out-of-range, malformed or misplaced value gives one line naming the setting."""
    assert message in load(tmp_path, text + "\n")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (f"https://evil.example/api/webhooks/1/{WEBHOOK_TOKEN}", 'not on "evil.example"'),
        (f"http://discord.com/api/webhooks/1/{WEBHOOK_TOKEN}", "must start with https://"),
        (f"https://discord.com/api/hooks/1/{WEBHOOK_TOKEN}", "must end in /webhooks/<id>/<token>"),
        (f"https://discord.com/api/webhooks/0/{WEBHOOK_TOKEN}", "must end in /webhooks/<id>"),
        (f"https://discord.com/api/webhooks/1/{WEBHOOK_TOKEN}/x", "must end in /webhooks/<id>"),
        (f"https://discord.com/api/webhooks/1/{WEBHOOK_TOKEN}?wait=1", "must not have a query"),
        (f"https://u:{WEBHOOK_TOKEN}@discord.com/api/webhooks/1/t", "must not hold a user name"),
        (f"discord.com/api/webhooks/1/{WEBHOOK_TOKEN}", "must be an absolute http"),
        (f"https://discord.com/api/webhooks/1/{WEBHOOK_TOKEN} ", "must not contain spaces"),
    ],
)
def test_bad_webhook_url_is_named_never_quoted(tmp_path: Path, url: str, message: str) -> None:
    """A webhook URL that is not Discord's form is refused by name, its token never shown."""
    for section, key in (("discord", "webhook_url"), ("alerts", "discord_webhook_url")):
        line = load(tmp_path, f'[{section}]\n{key} = "{url}"\n')
        assert f"{section}.{key}" in line and message in line
        assert WEBHOOK_TOKEN not in line


def test_a_password_in_a_url_is_never_quoted(tmp_path: Path) -> None:
    """A URL with user-info is refused without echoing the password in it."""
    line = load(tmp_path, '[discourse]\nurl = "gopher://me:hunter2@forum.example"\n')
    assert "discourse.url" in line and "hunter2" not in line
    line = load(tmp_path, '[blog]\ngit_url = "https://me:hunter2@git.example/b.git"\n')
    assert "blog.git_url must not hold a user name or password" in line
    assert "github.token" in line and "hunter2" not in line


@pytest.mark.parametrize(
    "url",
    [
        f"https://discord.com/api/webhooks/123456789012345678/{WEBHOOK_TOKEN}",
        f"https://discord.com/api/v10/webhooks/123456789012345678/{WEBHOOK_TOKEN}/",
        f"https://discordapp.com/api/webhooks/1/{WEBHOOK_TOKEN}",
        f"https://ptb.discord.com/api/webhooks/1/{WEBHOOK_TOKEN}",
        f"https://canary.discordapp.com/api/webhooks/1/{WEBHOOK_TOKEN}",
        f"http://127.0.0.1:4567/api/v10/webhooks/1/{WEBHOOK_TOKEN}",
        f"http://localhost:4567/webhooks/1/{WEBHOOK_TOKEN}",
        f"http://[::1]:4567/api/webhooks/1/{WEBHOOK_TOKEN}",
    ],
)
def test_discord_and_loopback_webhook_urls_are_accepted(tmp_path: Path, url: str) -> None:
    """Discord's webhook URL forms, and loopback ones like the sandbox's, are accepted."""
    loads(tmp_path, f'[discord]\nwebhook_url = "{url}"\n[alerts]\ndiscord_webhook_url = "{url}"\n')


def test_alerts_webhook_may_name_a_thread(tmp_path: Path) -> None:
    """The alerts webhook may post into a thread (?thread_id=); the announcement one may not."""
    url = f"https://discord.com/api/webhooks/1/{WEBHOOK_TOKEN}?thread_id=42"
    loads(tmp_path, f'[alerts]\ndiscord_webhook_url = "{url}"\n')
    assert "discord.webhook_url must not have a query" in load(
        tmp_path, f'[discord]\nwebhook_url = "{url}"\n'
    )


@pytest.mark.parametrize(
    "text",
    [
        '[service]\nhttp = ""',
        '[service]\nhttp = "127.0.0.1:0"',
        '[service]\nhttp = "0.0.0.0:65535"',
        '[service]\nhttp = "[::1]:8080"',
        '[service]\nhttp = ":8080"',
        '[service]\nhttp = "heartbeat.internal:8080"',
        "[blog]\npoll_interval = 1\nlive_timeout = 0\n[service]\nbackfill_interval = 0.2",
        '[blog]\npost_url = "http://127.0.0.1:8000/posts/{slug}/"',
        '[blog]\npost_url = "https://blog.example/{slug}?utm_source=heartbeat"',
        '[blog]\npicture_url = "https://cdn.example/{picture}"',
        '[blog]\ngit_url = "git@github.com:iterative/dvc.org.git"\ngit_path = "content/blogs"',
        '[blog]\ngit_url = "ssh://git@github.com/iterative/dvc.org.git"',
        '[blog]\ngit_url = "../my blog.git"\ngit_branch = "release/2024"',
        '[discourse]\nurl = "http://[::1]:3000"\ncategory = 1',
        '[discord]\ngateway_url = "ws://127.0.0.1:9999/gateway"',
        "[discord]\nchannel_id = 18446744073709551615\nallowed_role_ids = []",
        '[github]\nwebhook_secret = "a passphrase with spaces"',
    ],
)
def test_sensible_values_are_accepted(tmp_path: Path, text: str) -> None:
    """Values people and the test sandboxes use (loopback, port 0, IPv6, scp-like remotes)."""
    loads(tmp_path, text + "\n")

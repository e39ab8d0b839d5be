"""Engine detection by content for the site layouts the corpus lacks: Hugo's and Zola's
config.toml told apart, Hugo's config/_default, Jekyll's permalink styles, Docusaurus,
Astro and Gatsby configs written as code, Eleventy's input folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from heartbeat_bot.sources.site import SiteError, detect


def files(root: Path, **contents: str) -> Path:
    for name, text in contents.items():
        path = root / name.replace("__", "/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_config_toml_with_baseurl_is_hugo(tmp_path: Path) -> None:
    """A config.toml holding baseURL is Hugo's: permalinks and images become settings."""
    files(
        tmp_path,
        **{
            "config.toml": 'baseURL = "https://h.example/"\ntimeZone = "Europe/Paris"\n'
            'title = "Hugo  Example"\n'
            '[permalinks]\nposts = "/:year/:month/:title/"\n[params]\nimages = ["og.png"]\n',
            "content__posts__first.md": "---\ntitle: First\n---\n",
        },
    )
    site = detect(tmp_path)
    assert (site.engine, site.posts_dir) == ("hugo", tmp_path / "content" / "posts")
    assert site.settings == {
        "site_name": "Hugo Example",
        "post_url": "https://h.example/{year}/{month}/{slug}/",
        "slug_from_file": "title",
        "default_picture": "/og.png",
        "timezone": "Europe/Paris",
    }


def test_config_toml_with_base_url_is_zola(tmp_path: Path) -> None:
    """A config.toml holding base_url is Zola's."""
    files(tmp_path, **{"config.toml": 'base_url = "https://z.example"\n'})
    site = detect(tmp_path)
    assert site.engine == "zola" and site.settings == {"site_url": "https://z.example"}


def test_hugo_config_default_folder_without_permalinks(tmp_path: Path) -> None:
    """config/_default/hugo.yaml and content/<lang>/blog: the URL is the content path."""
    files(
        tmp_path,
        **{
            "config___default__hugo.yaml": "baseURL: https://o.example\n"
            "defaultContentLanguage: en\n",
            "content__en__blog__2024__a.md": "---\ntitle: A\n---\n",
        },
    )
    site = detect(tmp_path)
    assert site.settings["post_url"] == "https://o.example/blog/{route}/"


@pytest.mark.parametrize(
    ("permalink", "post_url"),
    [
        ("pretty", "https://j.example/base/{categories}/{year}/{month}/{day}/{slug}/"),
        ("/:year/:title:output_ext", "https://j.example/base/{year}/{slug}.html"),
    ],
)
def test_jekyll_permalink_styles(tmp_path: Path, permalink: str, post_url: str) -> None:
    """Jekyll's named styles and tokens become placeholders; baseurl joins url."""
    files(
        tmp_path,
        **{
            "_config.yml": f"url: https://j.example\nbaseurl: /base\npermalink: {permalink}\n"
            "excerpt_separator: <!--more-->\n",
        },
    )
    site = detect(tmp_path)
    assert site.settings["post_url"] == post_url
    assert site.settings["excerpt_separators"] == ["<!--more-->"]


def test_docusaurus_config_as_code(tmp_path: Path) -> None:
    """url, baseUrl, the blog's routeBasePath and trailingSlash are read as text."""
    files(
        tmp_path,
        **{
            "docusaurus.config.ts": "export default {\n  url: 'https://d.example',\n"
            "  baseUrl: '/docs-site/',\n  trailingSlash: true,\n  presets: [['classic', "
            "{ blog: { path: 'news', routeBasePath: 'updates' } }]],\n};\n",
        },
    )
    site = detect(tmp_path)
    assert site.posts_dir == tmp_path / "news"
    assert site.settings["post_url"] == "https://d.example/docs-site/updates/{route}/"


def test_astro_and_gatsby_configs(tmp_path: Path) -> None:
    """Astro's `site` and Gatsby's `siteMetadata.siteUrl` give the base URL."""
    astro = files(
        tmp_path / "astro",
        **{
            "astro.config.mjs": "export default defineConfig({ site: 'https://a.example' });\n",
            "src__content__blog__one.md": "---\ntitle: One\n---\n",
        },
    )
    assert detect(astro).settings == {"post_url": "https://a.example/blog/{route}/"}
    gatsby = files(
        tmp_path / "gatsby",
        **{
            "gatsby-config.js": "module.exports = {\n"
            "  siteMetadata: { siteUrl: `https://g.example` },\n}\n"
        },
    )
    site = detect(gatsby)
    assert site.engine == "gatsby" and site.settings["post_url"] == "https://g.example/blog/{slug}"


def test_eleventy_input_folder(tmp_path: Path) -> None:
    """Eleventy's input folder and its _data/metadata.json url locate the blog."""
    files(
        tmp_path,
        **{
            "eleventy.config.js": "export default function () {\n"
            '  return { dir: { input: "site" } };\n}\n',
            "site___data__metadata.json": '{"url": "https://e.example/"}',
            "site__posts__x.md": "---\ntitle: X\n---\n",
        },
    )
    site = detect(tmp_path)
    assert site.posts_dir == tmp_path / "site" / "posts"
    assert site.settings == {"post_url": "https://e.example/posts/{route}/"}


def test_site_url_option_wins(tmp_path: Path) -> None:
    """--site-url replaces the config's base URL."""
    files(tmp_path, **{"config.toml": 'base_url = "https://z.example"\n'})
    assert detect(tmp_path, "https://other.example/").settings == {
        "site_url": "https://other.example"
    }


def test_unknown_folder(tmp_path: Path) -> None:
    """A folder with nothing recognisable is a SiteError naming what was looked for."""
    with pytest.raises(SiteError, match="no site config found"):
        detect(tmp_path)

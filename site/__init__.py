"""The site's templates (MkDocs config, theme overrides, pages, assets), shipped as the
package ``publisher.site.template`` (see pyproject.toml) and read by ``publisher.site``
with importlib.resources. Nothing here is Python but this marker."""

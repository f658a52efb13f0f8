"""The web console (`/_lambdalite/ui/`): view models as plain functions returning dicts,
rendered as HTML (Jinja2, autoescaped) and served as JSON twins under `/_lambdalite/api/`."""

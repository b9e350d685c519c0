# No models of its own. The module must exist: Django sends post_migrate only to apps with a models
# module, and the staff roles are applied on that signal, once every other app's permissions exist.

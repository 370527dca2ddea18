from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Glossa core"

    def ready(self) -> None:
        # Registered in every process, so that services send them by name (core.enqueue).
        from core import tasks  # noqa: F401

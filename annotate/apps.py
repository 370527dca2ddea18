from django.apps import AppConfig


class AnnotateConfig(AppConfig):
    name = "annotate"
    verbose_name = "Annotation"

    def ready(self) -> None:
        # Registered in every process, so that services send them by name (core.enqueue).
        from annotate import tasks  # noqa: F401

"""visionbox.tracking imports, owns its registries and depends only on what it may."""

from visionbox.core.testing.package import check_task_package


def test_package_imports_and_owns_its_registries():
    check_task_package("tracking")

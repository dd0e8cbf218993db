"""visionbox.core imports with no task package and pulls none in."""

from visionbox.core.testing.package import imported_visionbox_packages


def test_core_imports_no_task_package():
    assert imported_visionbox_packages("core") == {"core"}

"""The approval engine completes items through the tasks bootstrap registers, never by
importing the features it approves for."""

from __future__ import annotations

import ast
from pathlib import Path

from creditdesk.bootstrap import approval_completions
from creditdesk.domain.workflows import WorkflowKind
from creditdesk.service_layer import workflows


def test_every_kind_of_workflow_has_a_registered_completion_task() -> None:
    assert set(approval_completions()) == {kind.value for kind in WorkflowKind}


def test_the_approval_engine_imports_neither_holds_nor_journals() -> None:
    tree = ast.parse(Path(workflows.__file__).read_text())
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "creditdesk.service_layer"
        for alias in node.names
    } | {
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module is not None
    }

    assert not imported & {
        "holds",
        "journals",
        "creditdesk.service_layer.holds",
        "creditdesk.service_layer.journals",
    }

"""Access in one place: roles are named once (``surveyapp.models.account``) and signed-in
pages have one guard (``surveyapp.domain.access``). Nobody else spells out a role, compares
an account's role by hand or writes a sign-in check; they ask the user (``can_see``,
``is_admin``...) or guard with ``require_roles`` / ``guard_blueprint``."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from surveyapp.models import Role

PACKAGE = Path(__file__).resolve().parent.parent / "surveyapp"
DEFINITION = PACKAGE / "models" / "account.py"
GUARD = PACKAGE / "domain" / "access.py"
SIGN_IN_CHECKS = ("is_authenticated", "login_required", "login_manager.unauthorized()")
# Data, not rules: the role names shown to people and the demo's synthetic accounts.
ROLE_DATA = (PACKAGE / "messages.py", PACKAGE / "demo" / "seed.py")
ROLE_NAMES = {role.value for role in Role}
TEMPLATE_ROLE_TEST = re.compile(r"\b\w*(user|actor|account)\.role\s*(==|!=|\bin\b|\bnot\s+in\b)")
# A question has a role too (the trust question…): only an account's role is a rule here.
ACCOUNT_NAMES = ("user", "actor", "account")


def _is_account_role(node: ast.expr) -> bool:
    """``user.role``, ``current_user.role``, ``self.actor.role``…: the role of an account."""
    if not (isinstance(node, ast.Attribute) and node.attr == "role"):
        return False
    owner = node.value
    name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
    return any(word in name for word in ACCOUNT_NAMES)


def _offences(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            named = [e.value for e in node.elts if isinstance(e, ast.Constant)]
            if any(name in ROLE_NAMES for name in named):
                found.append(f"line {node.lineno}: a group of roles {named}")
        elif isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(isinstance(s, ast.Constant) and s.value in ROLE_NAMES for s in sides):
                found.append(f"line {node.lineno}: a comparison with a role name")
            if any(_is_account_role(s) for s in sides):
                found.append(f"line {node.lineno}: a test of an account's role")
    return found


def test_no_module_but_the_user_model_groups_or_compares_roles() -> None:
    offenders = {
        str(path.relative_to(PACKAGE)): found
        for path in sorted(PACKAGE.rglob("*.py"))
        if path != DEFINITION and path not in ROLE_DATA
        for found in [_offences(ast.parse(path.read_text(encoding="utf-8")))]
        if found
    }
    assert offenders == {}


def test_no_module_but_the_guard_checks_sign_in() -> None:
    offenders = {
        str(path.relative_to(PACKAGE)): [check for check in SIGN_IN_CHECKS if check in text]
        for path in sorted(PACKAGE.rglob("*.py"))
        if path != GUARD
        for text in [path.read_text(encoding="utf-8")]
    }
    assert {path: checks for path, checks in offenders.items() if checks} == {}


def test_no_template_tests_a_role_by_hand() -> None:
    offenders = [
        str(path.relative_to(PACKAGE))
        for path in sorted(PACKAGE.rglob("*.html"))
        if TEMPLATE_ROLE_TEST.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_the_rule_catches_what_it_is_for() -> None:
    caught = _offences(
        ast.parse(
            'A = ("admin", "researcher")\n'
            'if user.role == "admin": pass\n'
            "if current_user.role in A: pass\n"
        )
    )
    assert len(caught) == 4  # the tuple; the comparison (role name and role attribute); the test
    assert TEMPLATE_ROLE_TEST.search('{% if current_user.role == "admin" %}')
    assert not _offences(ast.parse("if question.role == QuestionRole.TRUST: pass\n"))
    assert not TEMPLATE_ROLE_TEST.search('{% if v.role == "trust" %}')

"""A refusal names what is wrong wherever it is printed (logs, test reports)."""

from custodesk.core.errors import FieldError, NotFound, ValidationFailed


def test_a_validation_failure_names_its_fields_and_rules():
    exc = ValidationFailed(
        [
            FieldError("admin_password", "password_too_similar", "Too similar."),
            FieldError("email", "email", "Enter a valid e-mail address."),
        ]
    )
    assert str(exc) == (
        "Some fields are not valid. [admin_password: password_too_similar; email: email]"
    )
    # what an API client gets is unchanged: the fields are in ``errors``, not the title
    problem = exc.problem()
    assert problem["title"] == "Some fields are not valid." and "detail" not in problem
    assert [e["field"] for e in problem["errors"]] == ["admin_password", "email"]


def test_other_refusals_print_as_before():
    assert str(NotFound(object="movement")) == "Not found."
    assert str(ValidationFailed([], detail="Nothing to do.")) == "Nothing to do."

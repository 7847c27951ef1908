"""Upload form for CSV imports."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, SelectField


class ImportForm(FlaskForm):
    kind = SelectField(
        _l("What the file contains"),
        choices=[
            ("products", _l("Products (catalogue)")),
            ("customers", _l("Customers")),
            ("contacts", _l("Contacts")),
            ("busy-periods", _l("Busy periods")),
            ("orders", _l("Orders")),
        ],
        default="customers",
    )
    file = FileField(
        _l("CSV file (UTF-8 or Shift_JIS)"), validators=[FileRequired(_l("Choose a file."))]
    )
    dry_run = BooleanField(_l("Check only (write nothing)"))

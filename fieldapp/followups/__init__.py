"""Follow-ups: my list (due and overdue first), opening one at a customer, closing with a result."""

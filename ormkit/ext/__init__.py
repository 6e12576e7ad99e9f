"""Optional add-ons built on the ORM."""

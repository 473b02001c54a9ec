"""ember.nn."""

"""ember.linalg."""
__all__ = []

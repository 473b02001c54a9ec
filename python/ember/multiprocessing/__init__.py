"""ember.multiprocessing."""

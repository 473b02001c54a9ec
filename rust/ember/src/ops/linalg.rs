//! (filled in by its owner; see README's layout table)

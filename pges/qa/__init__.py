"""QA PGE: features of an unwrapped interferogram and p(error|I) from the champion model."""

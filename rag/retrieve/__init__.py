"""Retrieval: the index, BM25, fusion, re-ranking, collections and source filters."""

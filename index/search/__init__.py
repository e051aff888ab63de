"""A question's candidates (FAISS + BM25, or Qdrant), fused, scoped and ordered by date."""

"""Embeddings + FAISS + Dutch BM25, fused, persisted as a directory of plain files."""

"""Derogations domain and data layer. Nothing here imports Streamlit."""

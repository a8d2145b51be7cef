"""Streamlit drawing helpers shared by the pages. Rules live in core/, never here."""

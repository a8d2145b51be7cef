"""The app's own HTTP routes, served beside Streamlit's by st.App (serve.py)."""

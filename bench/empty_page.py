"""The yardstick: the smallest Streamlit page, timed beside the real pages in the same run."""

import streamlit as st

st.title("Empty page")

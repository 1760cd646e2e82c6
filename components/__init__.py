"""Streamlit rendering pieces. They read and write session state and draw; they never do HTTP."""

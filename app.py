"""Chat Completions Playground: the pages, nothing else (see pages/)."""

import streamlit as st

st.set_page_config(page_title="Chat Completions Playground", page_icon=":material/chat:", layout="wide")
st.navigation([
    st.Page("pages/playground.py", title="Playground", icon=":material/chat:", default=True),
    st.Page("pages/compare.py", title="Compare", icon=":material/compare_arrows:"),
    st.Page("pages/tools.py", title="Tools & schemas", icon=":material/construction:"),
    st.Page("pages/notebooks.py", title="Notebooks", icon=":material/folder_open:"),
]).run()

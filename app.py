"""Chat Completions Playground: the pages, nothing else (see views/)."""

import streamlit as st

from components import state as keys

# An emoji icon becomes a data: image; a :material/…: one is fetched from fonts.gstatic.com (the CSP forbids that).
st.set_page_config(page_title="Chat Completions Playground", page_icon="💬", layout="wide")
if st.query_params.get(keys.VIEW_PARAM):  # a read-only link: that view alone, no other page, no sidebar
    st.navigation([st.Page("views/view.py", title="Shared view", icon=":material/visibility:")], position="hidden").run()
    st.stop()
st.navigation(
    [
        st.Page("views/playground.py", title="Playground", icon=":material/chat:", default=True),
        st.Page("views/compare.py", title="Compare", icon=":material/compare_arrows:"),
        st.Page("views/evaluate.py", title="Evaluate", icon=":material/fact_check:"),
        st.Page("views/tools.py", title="Tools & schemas", icon=":material/construction:"),
        st.Page("views/notebooks.py", title="Notebooks", icon=":material/folder_open:"),
        st.Page("views/present.py", title="Present", icon=":material/slideshow:"),
    ]
).run()

"""Chat Completions Playground core: fields, requests, client, responses. Never imports Streamlit."""

"""Playground page: write a conversation, set fields, Run, read the answer.

Data flows one way: sidebar + message widgets → `request.build_request` (validated ChatRequest)
→ `client.ChatClient(config).stream(body)` → `response_view`. The HTTP calls live here, behind
the Run button (and once per backend for the model list); components only draw. Everything the
person made (conversation, settings, runs) sits in session state and survives errors and reruns, and
is saved as a draft (`playground.store`) named in the URL, so a browser reload brings it back.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from typing import Any

import streamlit as st
from streamlit.errors import StreamlitSecretNotFoundError

from components import errors as error_view
from components import messages as message_editor
from components import response_view, sidebar
from components import state as keys
from playground import backends, errors, fields, store
from playground.client import ChatClient, ClientConfig
from playground.request import Built, build_request
from playground.response import Completion, Done, TextDelta, ThinkingDelta

ss = st.session_state


@st.cache_resource(show_spinner="Starting the embedded model…")
def embedded_gateway() -> Any:
    """The one embedded gateway of this process: key-free, shared by every session."""
    from playground.local import start_gateway

    return start_gateway()


def _secrets() -> dict[str, Any]:
    """Plain values of .streamlit/secrets.toml, or {} when there is none."""
    try:
        return {k: v for k, v in st.secrets.items() if isinstance(v, str | int | float)}
    except StreamlitSecretNotFoundError:  # no secrets file: not an error here
        return {}


def _resolve(choice: sidebar.Backend, secrets: dict[str, Any]) -> ClientConfig:
    return backends.resolve(choice.id, api_key=choice.api_key, base_url=choice.base_url, secrets=secrets,
                            start_embedded=lambda: embedded_gateway().base_url)


def _models(choice: sidebar.Backend, config: ClientConfig | None) -> tuple[list[str], str | None]:
    """The backend's models, listed once per backend + base URL (↻ in the sidebar lists again)."""
    if config is None:
        return [], None
    cache: dict[str, Any] = ss.setdefault(keys.MODELS_CACHE, {})
    slot = f"{choice.id}|{config.base_url}"
    if slot not in cache:
        try:
            with ChatClient(config.model_copy(update={"max_retries": 0, "timeout": 15.0})) as client:
                cache[slot] = (client.list_models(), None)
        except errors.PlaygroundError as exc:
            cache[slot] = ([], str(exc))
    return cache[slot]


def _runs() -> list[dict[str, Any]]:
    return ss.setdefault(keys.RUNS, [])


def _add_answer(run_id: str) -> None:
    """Append a run's answer (choice 1) to the conversation; tool calls get empty tool messages to fill."""
    run = next((r for r in _runs() if r["id"] == run_id), None)
    if run is None or run.get("completion") is None:
        return
    completion: Completion = run["completion"]
    calls = completion.tool_uses(0)
    assistant: dict[str, Any] = message_editor.blank("assistant", completion.text(0))
    if calls:
        assistant["tool_calls"] = [
            {"id": c.id or f"call_{n}", "type": "function",
             "function": {"name": c.name or "", "arguments": json.dumps(c.input or {})}}
            for n, c in enumerate(calls)]
    added = [assistant]
    for n, c in enumerate(calls):
        tool_msg = message_editor.blank("tool")
        tool_msg["tool_call_id"] = c.id or f"call_{n}"
        tool_msg["name"] = c.name
        added.append(tool_msg)
    message_editor.append(ss, *added)
    run["added"] = True


def _prepare(choice: sidebar.Backend, config: ClientConfig | None, values: sidebar.Values,
             model: str | None, conv: list[dict[str, Any]], caps: backends.Capabilities, secrets: dict[str, Any]
             ) -> tuple[ClientConfig, Built]:
    """Validate everything (no generation yet); RequestError lists every problem with its field."""
    problems: list[errors.FieldError] = list(values.errors)
    if config is None:
        try:
            config = _resolve(choice, secrets)
        except errors.RequestError as exc:
            problems.extend(exc.errors)
    settings = dict(values.settings)
    settings["model"] = model or ""
    if not caps.deferred:
        settings["deferred"] = None
    looked_up: list[str] = []
    if values.logit_bias_rows:
        tokenize = None
        if caps.tokenize and config is not None and model:
            def tokenize(text: str) -> list[int]:
                with ChatClient(config) as client:
                    ids = [t.token_id for t in client.tokenize(text, model)]
                looked_up.append(f"Logit bias: {text!r} is token{'s' if len(ids) != 1 else ''} "
                                 f"{', '.join(map(str, ids))} for {model}.")
                return ids
        try:
            settings["logit_bias"] = sidebar.resolve_logit_bias(values.logit_bias_rows, tokenize)
        except errors.RequestError as exc:
            problems.extend(exc.errors)
    try:
        built = build_request(settings, message_editor.as_request_messages(conv))
    except errors.RequestError as exc:
        problems.extend(exc.errors)
        built = None
    if problems:
        raise errors.RequestError(problems)
    assert built is not None and config is not None
    built.notes[:0] = looked_up
    return config, built


def _stream(config: ClientConfig, run: dict[str, Any]) -> None:
    """Stream into the page; whatever arrived is kept in the run even if the stream breaks or is stopped."""
    live = response_view.Live()
    live.draw(cursor=True)
    started = time.monotonic()
    run["status"] = "streaming"
    try:
        with ChatClient(config) as client:
            for event in client.stream(run["body"]):
                if isinstance(event, TextDelta):
                    live.add(event.choice, event.text)
                elif isinstance(event, ThinkingDelta):
                    live.add(event.choice, event.text, thinking=True)
                elif isinstance(event, Done):
                    run["completion"] = event.completion
                    run["status"] = "done"
    finally:
        run["latency_s"] = round(time.monotonic() - started, 2)
        run["partial"] = dict(live.texts)
        if run["status"] == "streaming":
            run["status"] = "interrupted"
        live.placeholder.empty()


def _config_for_run(run: dict[str, Any], secrets: dict[str, Any]) -> ClientConfig:
    """Where a run was sent (its backend and base URL), whatever the sidebar shows now."""
    return backends.resolve(run["backend"], api_key=ss.get(keys.API_KEY), base_url=run.get("base_url"),
                            secrets=secrets, start_embedded=lambda: embedded_gateway().base_url)


@st.fragment(run_every=1)
def _poll_deferred(secrets: dict[str, Any]) -> None:
    """Ask for every pending deferred result each second; save each the moment it arrives (xAI hands it out once)."""
    arrived = False
    for run in _runs():
        if run.get("status") != "pending":
            continue
        waited = time.time() - run["started"]
        st.info(f"Deferred request `{run['request_id']}` queued; waiting for the result… ({waited:.0f} s)",
                icon=":material/hourglass_top:")
        try:
            with ChatClient(_config_for_run(run, secrets)) as client:
                completion = client.poll_deferred(run["request_id"], stop=run["body"].get("stop"))
        except errors.RequestError as exc:  # e.g. the xAI key field is gone: wait until it is back
            st.warning(f"Cannot ask for it now: {exc.errors[0].message}")
            continue
        except errors.PlaygroundError as exc:
            run["status"] = "error"
            run["error"] = str(exc)
            ss[keys.UPSTREAM_ERROR] = exc
            arrived = True
            continue
        if completion is not None:
            run["completion"] = completion
            run["status"] = "done"
            run["latency_s"] = round(time.time() - run["started"], 2)
            arrived = True
    if arrived:
        st.rerun()


def _show_run(run: dict[str, Any]) -> None:
    status = run.get("status")
    if status == "pending":
        st.caption(f"Deferred request `{run['request_id']}`: waiting for the result.")
        return
    if run.get("completion") is not None:
        response_view.render(run["completion"])
        if run.get("latency_s") is not None:
            st.caption(f"took {run['latency_s']} s on {backends.backend(run['backend']).label}")
        st.button("Add answer to conversation", key=keys.add_answer(run["id"]), on_click=_add_answer,
                  args=(run["id"],), disabled=run.get("added", False), icon=":material/reply:",
                  help="Append this answer (and any tool calls, with empty tool results to fill) to the messages")
    else:
        partial = run.get("partial") or {}
        for i in sorted(partial):
            st.markdown(response_view.as_markdown(partial[i]))
        st.warning(f"This run did not finish ({status}): {run.get('error') or 'stopped'}. "
                   "Text received so far is kept above." if partial else
                   f"This run did not finish ({status}): {run.get('error') or 'stopped'}.")
    with st.expander("Request body sent"):
        st.json(run["body"], expanded=1)


def _restore_draft() -> None:
    """On a new session, load the draft the URL names (or start one) before any widget is drawn."""
    if keys.DRAFT_ID in ss:
        if st.query_params.get(keys.DRAFT_PARAM) != ss[keys.DRAFT_ID]:
            st.query_params[keys.DRAFT_PARAM] = ss[keys.DRAFT_ID]
        return
    wanted = st.query_params.get(keys.DRAFT_PARAM)
    draft_id = wanted if store.valid_draft_id(wanted) else store.new_draft_id()
    ss[keys.DRAFT_ID] = draft_id
    st.query_params[keys.DRAFT_PARAM] = draft_id
    if draft_id != wanted:
        return
    try:
        draft = store.DraftStore().load(draft_id)
        runs = store.restore_runs(draft) if draft is not None else []
    except errors.StoreError as exc:
        st.warning(f"Your earlier work could not be restored: {exc}", icon=":material/warning:")
        return
    if draft is None:
        return
    # Widgets seed themselves from these non-widget keys (a new session has no widget state yet).
    ss[keys.MESSAGES] = draft.messages or [message_editor.blank()]
    ss[keys.SETTINGS] = dict(draft.settings)
    ss[keys.RUNS] = runs
    ss[keys.DRAFT_SAVED] = _draft_signature()


def _draft_signature() -> str:
    """What the draft is made of, cheaply: completions by identity, not by their (large) JSON.

    Every widget change reruns the page; serialising 50 runs with logprobs took 1.6 s, so the draft is
    only built and saved when this signature changes (a completion object is never changed in place).
    """
    runs = [{k: (id(v) if k == "completion" else v) for k, v in r.items()} for r in _runs()[:store.MAX_RUNS]]
    return json.dumps([ss.get(keys.MESSAGES, []), ss.get(keys.SETTINGS, {}), runs], sort_keys=True, default=str)


def _save_draft() -> None:
    """Save the draft when it changed since the last save; a failure is shown, and the page keeps working."""
    signature = _draft_signature()
    if signature == ss.get(keys.DRAFT_SAVED):
        return
    draft = store.make_draft(ss.get(keys.MESSAGES, []), ss.get(keys.SETTINGS, {}), _runs())
    try:
        store.DraftStore().save(ss[keys.DRAFT_ID], draft)
    except errors.StoreError as exc:
        st.warning(f"Your work is not being saved, so a reload would lose it: {exc}", icon=":material/warning:")
        return
    ss[keys.DRAFT_SAVED] = signature


def _clear_errors() -> None:
    """Run pressed: forget the last run's errors before anything is drawn (no HTTP in a callback)."""
    ss[keys.REQUEST_ERROR] = None
    ss[keys.UPSTREAM_ERROR] = None
    ss[keys.NOTES] = []


def main() -> None:
    _restore_draft()
    secrets = _secrets()
    request_error: errors.RequestError | None = ss.get(keys.REQUEST_ERROR)
    upstream: errors.PlaygroundError | None = ss.get(keys.UPSTREAM_ERROR)

    with st.sidebar:
        st.subheader("Model", divider="gray")
        choice = sidebar.render_backend(
            default=backends.default_backend(os.environ, secrets),
            key_configured=lambda b: backends.configured_key(b, os.environ, secrets),
            request_error=request_error)
        caps = backends.backend(choice.id).capabilities
        config: ClientConfig | None
        try:
            config = _resolve(choice, secrets)
        except errors.RequestError:
            config = None  # the missing key / URL is reported when Run is pressed
        models, models_error = _models(choice, config)
        model, _ = sidebar.render_model(models, backend_id=choice.id, models_error=models_error, request_error=request_error,
                                        upstream=upstream)
        values = sidebar.render_fields(backend_id=choice.id, caps=caps, request_error=request_error,
                                       upstream=upstream)

    st.title("Chat Completions Playground")
    st.caption("Write a conversation, set the fields in the sidebar, press Run.")
    conv = message_editor.render(request_error, upstream)

    clicked = st.button("Run", key=keys.RUN, type="primary", icon=":material/play_arrow:", on_click=_clear_errors)
    placed = ["model", "messages", backends.API_KEY_FIELD, backends.BASE_URL_FIELD,
              *fields.SIDEBAR_KEYS]
    errors_slot = st.container()
    answer = st.container(key=keys.ANSWER)

    if clicked:
        try:
            config, built = _prepare(choice, config, values, model, conv, caps, secrets)
        except errors.RequestError as exc:
            ss[keys.REQUEST_ERROR] = exc
            st.rerun()
        except errors.PlaygroundError as exc:  # e.g. tokenizing for logit bias failed
            ss[keys.UPSTREAM_ERROR] = exc
            st.rerun()
        ss[keys.NOTES] = list(built.notes)
        body = built.request.to_body()
        run: dict[str, Any] = {"id": uuid.uuid4().hex[:10], "started": time.time(), "backend": choice.id,
                               "base_url": config.base_url, "body": body, "notes": list(built.notes),
                               "status": "new", "completion": None, "partial": {}, "error": None,
                               "request_id": None, "latency_s": None, "added": False}
        _runs().insert(0, run)
        try:
            if body.get("deferred"):
                with ChatClient(config) as client:
                    run["request_id"] = client.submit_deferred(body)
                run["status"] = "pending"
            else:
                with answer:
                    _stream(config, run)
        except errors.PlaygroundError as exc:
            run["status"] = "error"
            run["error"] = str(exc)
            ss[keys.UPSTREAM_ERROR] = exc
            st.rerun()  # redraw so the error also shows under the field the server named

    with errors_slot:
        error_view.show_run_error(ss.get(keys.REQUEST_ERROR) or ss.get(keys.UPSTREAM_ERROR), placed=placed)
        for note in ss.get(keys.NOTES) or []:
            st.info(note, icon=":material/info:")

    runs = _runs()
    with answer:
        if runs:
            if any(r.get("status") == "pending" for r in runs):
                _poll_deferred(secrets)
            _show_run(runs[0])
    if len(runs) > 1:
        st.subheader(f"Earlier runs ({len(runs) - 1})", divider="gray")
        for run in runs[1:]:
            completion = run.get("completion")
            title = (completion.text(0)[:60] if completion is not None else run.get("status", "")) or "(no text)"
            when = time.strftime("%H:%M:%S", time.localtime(run["started"]))
            with st.expander(f"{when} · {title}"):
                _show_run(run)
    _save_draft()


main()

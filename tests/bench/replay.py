"""AWS answers recorded once and replayed, so a timed interpreter does its real work with no AWS behind it.

A scenario's first piece of real work (a `GET /tickets/{id}`, one intake message, one stored mail, …) is run twice
in fresh interpreters:

- recording: against a moto server holding the scenario's data (`AWS_ENDPOINT_URL`); each raw HTTP answer botocore
  gets back (status, headers, body) is written down, in order, with the operation it answers;
- replay: with no endpoint at all; botocore builds and signs each request as in AWS, and `Endpoint._send`, the one
  place that would put it on the wire, hands back the next recorded answer instead (and fails if the operation is
  not the one recorded there). Parsing, retries, checksums and everything kefu does with the answer run as usual.

Both patch `botocore.endpoint` when it is first imported (a meta-path hook), never before: an interpreter that never
makes a client pays nothing, and the baseline's import of botocore is timed as it would be in Lambda.

`CHILD_HOOK` is the code a child runs before its timed part; it reads `BENCH_REPLAY_MODE` (`record` or `replay`) and
`BENCH_REPLAY_FILE` from the environment.

It also measures botocore's own share of the CPU (`_bench_sdk_seconds()`: the process's CPU seconds spent inside
AWS calls so far), so that what kefu does itself can be told from what the SDK does for each call: the time from an
API call's first event (`provide-client-params`: before its parameters are validated and serialized) to its last
(`after-call`, or `after-call-error`: its answer parsed), which holds building, signing, the replayed answer's
parsing and any retry. Tracing around the call (X-Ray's subsegment) and what kefu does with the answer (pynamodb
building its models) are outside it: kefu's. The handlers are botocore's built-in handlers of every session made
after `botocore.handlers` is imported, so the clients of Powertools, pynamodb and boto3 alike are measured.
"""

from __future__ import annotations

MODE_VAR = "BENCH_REPLAY_MODE"
FILE_VAR = "BENCH_REPLAY_FILE"

CHILD_HOOK = r'''
import os as _os
if _os.environ.get("BENCH_REPLAY_MODE"):
    import importlib.machinery as _machinery
    import io as _io
    import json as _json

    _MODE, _FILE = _os.environ["BENCH_REPLAY_MODE"], _os.environ["BENCH_REPLAY_FILE"]
    _recorded = []
    if _MODE == "replay":
        with open(_FILE) as _f:
            _recorded = _json.load(_f)

    class _Raw:
        """What botocore reads an HTTP answer's body from: `stream()` for a whole body, `read()` for a streamed one."""

        def __init__(self, body):
            self._body = _io.BytesIO(body)

        def stream(self, *args, **kwargs):
            yield self._body.read()

        def read(self, *args, **kwargs):
            return self._body.read(*args)

        def close(self):
            pass

    def _install(endpoint):
        import base64 as _b64

        from botocore.awsrequest import AWSResponse

        get_response, send = endpoint.Endpoint._do_get_response, endpoint.Endpoint._send

        def _do_get_response(self, request, operation_model, context):
            self._bench_operation = operation_model.name
            return get_response(self, request, operation_model, context)

        def _record(self, request):
            http_response = send(self, request)
            body = http_response.content
            _recorded[-1].append(
                {
                    "operation": self._bench_operation,
                    "status": http_response.status_code,
                    "headers": dict(http_response.headers.items()),
                    "body": _b64.b64encode(body).decode(),
                }
            )
            http_response.raw = _Raw(body)  # a streamed body (S3 GetObject) is read again from here
            return http_response

        def _send(self, request):
            if not _pending:
                raise AssertionError(f"{self._bench_operation}: no recorded answer left (the recording made fewer)")
            answer = _pending.pop(0)
            if answer["operation"] != self._bench_operation:
                raise AssertionError(f"{self._bench_operation} called where {answer['operation']} was recorded")
            return AWSResponse(request.url, answer["status"], answer["headers"], _Raw(_b64.b64decode(answer["body"])))

        endpoint.Endpoint._do_get_response = _do_get_response
        endpoint.Endpoint._send = _record if _MODE == "record" else _send

    import time as _sdk_time

    _sdk = [0.0, None]  # CPU seconds inside AWS calls so far; when the current call started

    def _sdk_started(**_):
        _sdk[1] = _sdk_time.process_time()

    def _sdk_ended(**_):
        if _sdk[1] is not None:
            _sdk[0] += _sdk_time.process_time() - _sdk[1]
            _sdk[1] = None

    def _bench_sdk_seconds():
        return _sdk[0]

    def _measure_sdk(handlers):
        handlers.BUILTIN_HANDLERS.append(("provide-client-params", _sdk_started))
        handlers.BUILTIN_HANDLERS.append(("after-call", _sdk_ended))
        handlers.BUILTIN_HANDLERS.append(("after-call-error", _sdk_ended))

    _INSTALLERS = {"botocore.endpoint": lambda module: _install(module), "botocore.handlers": _measure_sdk}

    class _Hook:
        def find_spec(self, name, path, target=None):
            if name not in _INSTALLERS:
                return None
            spec = _machinery.PathFinder.find_spec(name, path)
            exec_module = spec.loader.exec_module

            def exec_and_install(module):
                exec_module(module)
                _INSTALLERS[name](module)

            spec.loader.exec_module = exec_and_install
            return spec

    _pending = []
    _invocations = [0]
    sys.meta_path.insert(0, _Hook())

    def _bench_replay_begin():
        """Before an invocation: record its calls apart, or replay the answers recorded for it (the last recorded
        invocation's for every later one: a warm process repeats what its second invocation did)."""
        _bench_replay_check()
        if _MODE == "record":
            _recorded.append([])
        elif _recorded:
            _pending[:] = _recorded[min(_invocations[0], len(_recorded) - 1)]
        _invocations[0] += 1

    def _bench_replay_check():
        if _pending:
            left = [answer["operation"] for answer in _pending]
            raise AssertionError(f"recorded answers not asked for (the replay made fewer calls): {left}")

    def _bench_replay_done():
        """Write what was recorded, or check that the replay used every answer; the calls of the last invocation."""
        if _MODE == "record":
            with open(_FILE, "w") as f:
                _json.dump(_recorded, f)
            return len(_recorded[-1]) if _recorded else 0
        _bench_replay_check()
        return len(_recorded[min(_invocations[0], len(_recorded)) - 1]) if _recorded else 0
else:
    def _bench_replay_begin():
        pass

    def _bench_replay_done():
        return 0

    def _bench_sdk_seconds():
        return 0.0
'''

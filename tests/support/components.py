"""Real components the composer tests plug together, built during the run (cached).

Sockets are C programs adapted with the preview1 adapter (WASI 0.2.12); plugs are
Python components built by componentize-py (whose CPython imports WASI 0.2.9).
Import the fixtures you need into a test module.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from support.cbuild import compile_c
from support.cpybuild import build_python_component

ENV_PLUG_WIT = """
package test:env-plug;
world env-plug { export wasi:cli/environment@0.2.12; }
"""

ENV_PLUG_APP = '''
from wit_world import exports

class Environment(exports.Environment):
    def get_environment(self):
        return [("NAME", "plug"), ("MODE", "plugged")]

    def get_arguments(self):
        return ["from-plug", "alpha", "beta"]

    def initial_cwd(self):
        return None
'''

# A `wasi:cli/environment` whose get-arguments returns bytes instead of strings.
WRONG_ENV_WIT = """
package test:wrong-env;
world wrong-env { export wasi:cli/environment@0.2.12; }
"""
WRONG_CLI_PACKAGE = """
package wasi:cli@0.2.12;
interface environment {
  get-environment: func() -> list<tuple<string, string>>;
  get-arguments: func() -> list<u8>;
  initial-cwd: func() -> option<string>;
}
"""
WRONG_ENV_APP = '''
from wit_world import exports

class Environment(exports.Environment):
    def get_environment(self):
        return []

    def get_arguments(self):
        return b"oops"

    def initial_cwd(self):
        return None
'''

COUNTER_WIT = """
package test:counter@0.1.0;

interface counting {
  resource counter {
    constructor(start: u32);
    incr: func(by: u32) -> u32;
    get: func() -> u32;
  }
  total: func(counters: list<borrow<counter>>) -> u32;
}

world provider { export counting; }

world consumer {
  import counting;
  export wasi:cli/run@0.2.12;
}
"""

COUNTER_PROVIDER_APP = '''
from wit_world import exports

class Counting(exports.Counting):
    def total(self, counters):
        return sum(c.get() for c in counters)
'''

COUNTER_PROVIDER_RESOURCE = '''
from wit_world.exports import counting

class Counter(counting.Counter):
    def __init__(self, start: int) -> None:
        self.value = start

    def incr(self, by: int) -> int:
        self.value += by
        return self.value

    def get(self) -> int:
        return self.value
'''

COUNTER_CONSUMER_APP = '''
from wit_world import exports
from wit_world.imports import counting

class Run(exports.Run):
    def run(self) -> None:
        a = counting.Counter(5)
        b = counting.Counter(100)
        print("a.incr(2) =", a.incr(2))
        print("b.incr(1) =", b.incr(1))
        print("a.get() =", a.get())
        print("total =", counting.total([a, b]))
'''


@pytest.fixture(scope="session")
def hello_module() -> Path:
    """tests/c/hello.c as a wasip1 core module."""
    return compile_c("hello.c")


@pytest.fixture(scope="session")
def hello(adapted) -> Path:
    """tests/c/hello.c as a command component."""
    return adapted(compile_c("hello.c"))


@pytest.fixture(scope="session")
def files(adapted) -> Path:
    """tests/c/files.c as a command component."""
    return adapted(compile_c("files.c"))


@pytest.fixture(scope="session")
def env_plug() -> Path:
    """Exports wasi:cli/environment@0.2.12 (args `from-plug alpha beta`, NAME=plug)."""
    return build_python_component("env-plug", ENV_PLUG_WIT, {"app.py": ENV_PLUG_APP}, "env-plug")


@pytest.fixture(scope="session")
def wrong_env_plug() -> Path:
    """Exports a wasi:cli/environment@0.2.12 whose get-arguments returns list<u8>."""
    return build_python_component(
        "wrong-env", WRONG_ENV_WIT, {"app.py": WRONG_ENV_APP}, "wrong-env", stub_wasi=True,
        extra_wit={"cli/environment.wit": WRONG_CLI_PACKAGE}, with_wasi_deps=False)


@pytest.fixture(scope="session")
def counter_provider() -> Path:
    """Exports test:counter/counting (a counter resource), imports nothing."""
    return build_python_component(
        "counter-provider", COUNTER_WIT,
        {"app.py": COUNTER_PROVIDER_APP, "counting.py": COUNTER_PROVIDER_RESOURCE},
        "provider", stub_wasi=True)


@pytest.fixture(scope="session")
def counter_consumer() -> Path:
    """Imports test:counter/counting and prints what its counters say."""
    return build_python_component(
        "counter-consumer", COUNTER_WIT, {"app.py": COUNTER_CONSUMER_APP}, "consumer")

PY_FILES_WIT = """
package test:py-files;
world py-files { export wasi:cli/run@0.2.12; }
"""

# Prints what the virtual filesystem holds; with a file named `use-network` next to the
# data, it then opens a TCP socket (wasi:sockets, which wasivirt stubs: the call traps).
PY_FILES_APP = '''
import os
import socket

from wit_world import exports

class Run(exports.Run):
    def run(self) -> None:
        print("listing:", sorted(os.listdir("/data")))
        with open("/data/hello.txt") as fh:
            print("hello.txt:", fh.read().strip())
        if os.path.exists("/data/use-network"):
            print("opening a socket", flush=True)
            socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            print("socket opened")
'''


@pytest.fixture(scope="session")
def py_files() -> Path:
    """A componentize-py command (WASI 0.2 component importing wasi:sockets) that lists and
    reads /data, and with /data/use-network opens a socket."""
    return build_python_component("py-files", PY_FILES_WIT, {"app.py": PY_FILES_APP}, "py-files")

# A wasi:http/proxy app (componentize-py, the plain build a new user makes) that imports
# one small interface of its own; the plug exports it. `headers` hands the child a
# `fields` resource the plug made: both import the host's wasi:http/types (issue 12).
HTTP_WIT = """
package test:http-app;

interface greeting {
  use wasi:http/types@0.2.12.{fields};
  greet: func(path: string) -> string;
  headers: func() -> fields;
}

world http-app {
  import greeting;
  export wasi:http/incoming-handler@0.2.12;
}

world greeter { export greeting; }
"""

HTTP_APP = '''
from componentize_py_types import Ok
from wit_world import exports
from wit_world.imports import greeting
from wit_world.imports.types import OutgoingBody, OutgoingResponse, ResponseOutparam


class IncomingHandler(exports.IncomingHandler):
    def handle(self, request, response_out) -> None:
        body = greeting.greet(request.path_with_query() or "/").encode()
        headers = greeting.headers()
        headers.append("content-type", b"text/plain")
        response = OutgoingResponse(headers)
        response.set_status_code(200)
        out = response.body()
        ResponseOutparam.set(response_out, Ok(response))
        with out.write() as stream:
            stream.blocking_write_and_flush(body)
        OutgoingBody.finish(out, None)
'''

GREETER_APP = '''
from wit_world import exports
from wit_world.imports.types import Fields


class Greeting(exports.Greeting):
    def greet(self, path: str) -> str:
        return f"hello from the plug, {path}\\n"

    def headers(self) -> Fields:
        return Fields.from_list([("x-plug", b"greeter")])
'''


@pytest.fixture(scope="session")
def http_child() -> Path:
    """Exports wasi:http/incoming-handler; answers with greeting.greet(path) and the
    headers greeting.headers() makes. Imports test:http-app/greeting."""
    return build_python_component("http-app", HTTP_WIT, {"app.py": HTTP_APP}, "http-app")


@pytest.fixture(scope="session")
def greeter_plug() -> Path:
    """Exports test:http-app/greeting (making its headers with the host's wasi:http/types)."""
    return build_python_component("greeter", HTTP_WIT, {"app.py": GREETER_APP}, "greeter")

"""wrk, the load generator: one run's figures, and the Lua scripts that vary its requests."""

import re
import subprocess
import uuid
from pathlib import Path
from string import Template

PATHS_LUA = Template("""
local paths = {
$entries
}
local counter = 0
function init(args)
  counter = math.random(#paths)
end
request = function()
  counter = counter % #paths + 1
  return wrk.format("GET", paths[counter])
end
""")
# A booking's form as a patient fills it in; the slot, email and submission token vary per request.
BOOKING_FIELDS = (
    "first_name=Load&last_name=Patient&date_of_birth_month=04&date_of_birth_day=23&date_of_birth_year=1971"
    "&phone=%28201%29+555-0123&reasons=rls&rls_urge_to_move=on&urgent_one_leg=no"
    "&urgent_breathing=no&urgent_bleeding=no&urgent_cord=no&consent=on&website=&csrfmiddlewaretoken="
)
POST_LUA = Template("""
local slots = {
$entries
}
local threads = $threads
local counter = 0
local id = 0
local next_id = 0
local run = "$run"
local threads_seen = {}
statuses = {}  -- a global: done() reads it from each thread
function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads_seen, thread)
end
function init(args)
  id = tonumber(wrk.thread:get("id")) or 0
end
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
-- One line per status for load.py: a booking answers 302 (to its page), anything else is a failure.
function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads_seen) do
    for status, count in pairs(thread:get("statuses")) do
      total[status] = (total[status] or 0) + count
    end
  end
  for status, count in pairs(total) do
    io.write(string.format("status %d %d\\n", status, count))
  end
end
request = function()
  counter = counter + 1
  local index = ((counter - 1) * threads + id) % #slots + 1
  local body = slots[index] .. "&$fields"
    .. "&email=load-" .. run .. "-" .. id .. "-" .. counter .. "%40example.com"
    .. string.format("&submission_token=%s-%04x-4000-8000-%012x", run, id, counter)
  return wrk.format("POST", "/appointments/request/details/", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = "$csrf_cookie",
    ["Origin"] = "$base",
    -- Patients in a burst come from many addresses, as the TLS proxy in front reports them.
    ["X-Forwarded-For"] = string.format("10.%d.%d.%d", id, math.floor(counter / 256) % 256, counter % 256),
  }, body)
end
""")


def wrk(
    url: str, duration: int, connections: int, threads: int, headers=(), script: Path | None = None
) -> tuple[float, int, int, dict[int, int]]:
    """(requests/s, requests, non-2xx/3xx answers, statuses the script counted) of one wrk run."""
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", "10s"]
    for header in headers:
        command += ["-H", header]
    if script:
        command += ["-s", str(script)]
    finished = subprocess.run([*command, url], capture_output=True, text=True, timeout=duration + 60)
    if finished.stderr.strip():  # e.g. a Lua error: wrk would then measure plain GETs instead
        raise SystemExit(f"wrk: {finished.stderr.strip()}")
    output = finished.stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    total = int(re.search(r"(\d+) requests in", output).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    statuses = {int(status): int(count) for status, count in re.findall(r"^status (\d+) (\d+)$", output, re.M)}
    return rate, total, (int(errors.group(1)) if errors else 0), statuses


def lua_strings(values: list[str]) -> str:
    return ",\n".join(f'"{value}"' for value in values)


def paths_script(workdir: Path, name: str, paths: list[str]) -> Path:
    """A Lua script whose requests go to each of `paths` in turn (each wrk thread from its own start)."""
    script = workdir / name
    script.write_text(PATHS_LUA.substitute(entries=lua_strings(paths)))
    return script


def post_script(workdir: Path, base: str, slots: list[str], csrf_cookie: str, csrf_token: str, threads: int) -> Path:
    """A Lua script that books a distinct slot with each request, as a browser submits the form."""
    script = workdir / "post.lua"
    run = uuid.uuid4().hex[:8]  # each run's emails and submission tokens are new to the database
    fields = BOOKING_FIELDS + csrf_token
    lua = POST_LUA.substitute(
        entries=lua_strings(slots), threads=threads, run=run, fields=fields, csrf_cookie=csrf_cookie, base=base
    )
    script.write_text(lua)
    return script

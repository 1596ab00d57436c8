#!/usr/bin/python3
# dbus-listen.py — wgdiscoverd's D-Bus API seen from a client, for
# tests/lan/test-dbus.sh. Run inside a LAN host (its own system bus).
#
#   listen STATE EVENTS   listens to signals (InterfacesAdded,
#                         InterfacesRemoved, PropertiesChanged) from the
#                         start, and reads the objects already exported
#                         when org.wgdiscover1 gets its owner (as any
#                         client must), keeps the state they describe, and writes
#                         it to STATE (JSON) after each one; EVENTS gets
#                         one line per signal: "added PATH", "removed
#                         PATH", "changed PATH PROPERTY JSON-VALUE"
#   snapshot              prints GetManagedObjects and the Manager's
#                         properties, read now, as JSON
#   compare STATE         whether STATE holds what a snapshot now says:
#                         every object that appeared while listening
#                         (peers) has exactly the same interfaces and
#                         values; of the objects that were there before
#                         (Manager, Interface), every value heard of is
#                         the current one. Prints the differences.
#   introspect XML PATH IFACE...  whether Introspect of PATH lists each
#                         IFACE with the members and signatures of XML
#   own NAME              owns NAME on the system bus until killed
import json
import os
import sys
import xml.etree.ElementTree as ET

import gi

gi.require_version("Gio", "2.0")
from gi.repository import Gio, GLib  # noqa: E402

NAME = "org.wgdiscover1"
ROOT = "/org/wgdiscover1"
MANAGER = "org.wgdiscover1.Manager"


def plain(value):
    """A GVariant's value as JSON would give it back."""
    return json.loads(json.dumps(value.unpack() if isinstance(value, GLib.Variant) else value))


def bus():
    return Gio.bus_get_sync(Gio.BusType.SYSTEM, None)


def listen(state_path, events_path):
    conn = bus()
    state = {}  # path -> interface -> property -> value
    events = open(events_path, "a", buffering=1)

    def save():
        tmp = state_path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(state, f, sort_keys=True)
        os.replace(tmp, state_path)

    def on_signal(conn, sender, path, iface, member, params):
        if path != ROOT and not path.startswith(ROOT + "/"):
            return
        if iface == "org.freedesktop.DBus.ObjectManager" and member == "InterfacesAdded":
            obj, ifaces = params.unpack()
            state.setdefault(obj, {}).update(plain(ifaces))
            events.write("added %s\n" % obj)
        elif iface == "org.freedesktop.DBus.ObjectManager" and member == "InterfacesRemoved":
            obj, names = params.unpack()
            for n in names:
                state.get(obj, {}).pop(n, None)
            if not state.get(obj):
                state.pop(obj, None)
            events.write("removed %s\n" % obj)
        elif iface == "org.freedesktop.DBus.Properties" and member == "PropertiesChanged":
            name, changed, invalidated = params.unpack()
            props = state.setdefault(path, {}).setdefault(name, {})
            for k, v in plain(changed).items():
                props[k] = v
                events.write("changed %s %s %s\n" % (path, k, json.dumps(v)))
            for k in invalidated:
                props.pop(k, None)
        else:
            return
        save()

    # Objects exported before the daemon owned its name (peers found on
    # the LAN before the bus answered) were announced to nobody: as any
    # client, read them when the name gets its owner. What that read
    # returns is newer than any signal received before its answer.
    def on_objects(conn, result):
        reply = conn.call_finish(result)
        for obj, ifaces in reply.unpack()[0].items():
            if obj not in state:
                events.write("added %s\n" % obj)
            props = state.setdefault(obj, {})
            for name, values in plain(ifaces).items():
                props.setdefault(name, {}).update(values)
        save()

    def on_owner(conn, sender, path, iface, member, params):
        name, old, new = params.unpack()
        if name == NAME and new:
            conn.call(new, ROOT, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects",
                      None, None, Gio.DBusCallFlags.NONE, 5000, None, on_objects)

    conn.signal_subscribe("org.freedesktop.DBus", "org.freedesktop.DBus", "NameOwnerChanged",
                          "/org/freedesktop/DBus", NAME, Gio.DBusSignalFlags.NONE, on_owner)
    # No sender filter: the daemon may start after us, and its unique name
    # is not known yet. Only its paths are followed.
    conn.signal_subscribe(None, None, None, None, None, Gio.DBusSignalFlags.NONE, on_signal)
    save()
    events.write("listening\n")
    GLib.MainLoop().run()


def snapshot():
    conn = bus()
    objs = conn.call_sync(NAME, ROOT, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects",
                          None, None, Gio.DBusCallFlags.NONE, 5000, None)
    mgr = conn.call_sync(NAME, ROOT, "org.freedesktop.DBus.Properties", "GetAll",
                         GLib.Variant("(s)", (MANAGER,)), None, Gio.DBusCallFlags.NONE, 5000, None)
    result = plain(objs)[0]
    result[ROOT] = {MANAGER: plain(mgr)[0]}
    return result


def compare(state_path):
    with open(state_path) as f:
        heard = json.load(f)
    now = snapshot()
    diffs = []
    for path, ifaces in now.items():
        if "/peer/" in path and path not in heard:
            diffs.append("%s: never heard of" % path)
    for path, ifaces in heard.items():
        if path not in now:
            diffs.append("%s: heard of, but not there" % path)
            continue
        for iface, props in ifaces.items():
            cur = now[path].get(iface)
            if cur is None:
                diffs.append("%s %s: heard of, but not there" % (path, iface))
                continue
            if "/peer/" in path and props != cur:
                diffs.append("%s %s: heard %s, now %s" % (path, iface, props, cur))
            for k, v in props.items():
                if cur.get(k) != v:
                    diffs.append("%s %s.%s: heard %r, now %r" % (path, iface, k, v, cur.get(k)))
        if "/peer/" in path and set(ifaces) != set(now[path]):
            diffs.append("%s: interfaces heard %s, now %s" % (path, sorted(ifaces), sorted(now[path])))
    for d in diffs:
        print(d)
    return 1 if diffs else 0


def members(iface):
    """(kind, name, signature, access) of every member of an interface element."""
    out = set()
    for child in iface:
        if child.tag == "property":
            out.add(("property", child.get("name"), child.get("type"), child.get("access")))
        elif child.tag in ("method", "signal"):
            sig = tuple((a.get("direction", "in" if child.tag == "method" else "out"), a.get("type"))
                        for a in child.findall("arg"))
            out.add((child.tag, child.get("name"), sig, None))
    return out


def introspect(xml_path, path, names):
    spec = {i.get("name"): members(i) for i in ET.parse(xml_path).getroot().findall("interface")}
    conn = bus()
    reply = conn.call_sync(NAME, path, "org.freedesktop.DBus.Introspectable", "Introspect",
                           None, GLib.VariantType("(s)"), Gio.DBusCallFlags.NONE, 5000, None)
    live = {i.get("name"): members(i)
            for i in ET.fromstring(reply.unpack()[0]).findall("interface")}
    status = 0
    for n in names:
        if n not in live:
            print("%s: %s is not there" % (path, n))
            status = 1
            continue
        want = spec.get(n)
        if want is None:
            # An interface of GDBus's own (ObjectManager, Properties): present is enough.
            continue
        for m in sorted(want - live[n], key=str):
            print("%s %s: missing %s" % (path, n, m))
            status = 1
        for m in sorted(live[n] - want, key=str):
            print("%s %s: not in the XML: %s" % (path, n, m))
            status = 1
    return status


def own(name):
    conn = bus()
    reply = conn.call_sync("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                           "RequestName", GLib.Variant("(su)", (name, 4)), None,
                           Gio.DBusCallFlags.NONE, 5000, None)
    if reply.unpack()[0] != 1:
        print("could not own %s" % name, file=sys.stderr)
        return 1
    print("owned", flush=True)
    GLib.MainLoop().run()
    return 0


def main(argv):
    cmd = argv[1] if len(argv) > 1 else ""
    if cmd == "listen" and len(argv) == 4:
        return listen(argv[2], argv[3])
    if cmd == "snapshot" and len(argv) == 2:
        json.dump(snapshot(), sys.stdout, sort_keys=True, indent=1)
        return 0
    if cmd == "compare" and len(argv) == 3:
        return compare(argv[2])
    if cmd == "introspect" and len(argv) >= 5:
        return introspect(argv[2], argv[3], argv[4:])
    if cmd == "own" and len(argv) == 3:
        return own(argv[2])
    print(__doc__ or "usage: see the comment at the top", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))

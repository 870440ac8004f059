"""The box that untrusted code runs in: hosted-service workers and deploy probes alike.

Both process kinds start the same way (see `docs/hosted-services.md`, "What a handler can
and cannot do"):

1. `namespaces.enter(policy)`, first thing in the child: a PID namespace of its own (so
   every descendant dies with it, `setsid()` or not) and, unless the policy allows
   outbound network, a network namespace with only a loopback interface, which is down;
2. the caller binds what it must bind while it still can (the worker's socket);
3. `confine.confine(policy, workdir)`: Landlock, no capabilities, `no_new_privs`, an
   unprivileged uid/gid of its own (when started as root), resource limits, not
   dumpable, and a seccomp filter last.

Kept to the standard library plus `pyseccomp`: the deploy probe imports it in an
isolated interpreter on every start.
"""

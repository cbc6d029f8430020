#!/usr/bin/env bats
# Containers through the Python docker SDK (7.x), as client libraries and
# Testcontainers-style tools use them: containers.run (attached, returning
# bytes; detached), create/start/wait, exec_run, logs(stream=True),
# put_archive/get_archive, kill/stop/restart/pause, remove, list filters,
# prune, attrs fields, and the SDK's error classes (NotFound needs
# dockerd's 404 "No such container", ContainerError the exit status).
# Runs against a peer too (E2E_PEER_HOST, see containers_helpers.bash).
#
# Needs the busybox fixture (127.0.0.1:5000 as the docker.io mirror).

load helpers
load images_helpers
load containers_helpers

setup_file() {
	if ! python3 -c 'import docker' 2>/dev/null; then
		ctr_skip_all "Python docker SDK not installed (pip install docker)"
		return 0
	fi
	ctr_setup_file
}
teardown_file() { ctr_teardown_file; }
setup() { ctr_setup; }
teardown() { ctr_teardown; }

@test "sdk: containers.run() attached returns the output as bytes; remove=True leaves nothing" {
	local n
	n=$(cname)
	run py_sdk "
out = c.containers.run('busybox', ['echo', 'hi'], name='$n', remove=True)
print(repr(out))
print(len(c.containers.list(all=True, filters={'name': '$n'})))
out = c.containers.run('busybox', 'sh -c \"echo out; echo err >&2\"', name='$n-2', stdout=False, stderr=True, remove=True)
print(repr(out))
"
	track "$n-2"
	assert_status 0
	assert_eq "${lines[0]}" "b'hi\\n'" "run() output"
	assert_eq "${lines[1]}" 0 "containers left by remove=True"
	assert_eq "${lines[2]}" "b'err\\n'" "run(stdout=False, stderr=True)"
}

@test "sdk: containers.run() of a failing command raises ContainerError with the exit status and stderr" {
	local n
	n=$(cname)
	run py_sdk "
try:
    c.containers.run('busybox', ['sh', '-c', 'echo oops >&2; exit 3'], name='$n')
    print('no error')
except docker.errors.ContainerError as e:
    print(e.exit_status)
    print(repr(e.stderr))
    print(e.container.name)
"
	assert_status 0
	assert_eq "${lines[0]}" 3 exit_status
	assert_eq "${lines[1]}" "b'oops\\n'" stderr
	assert_eq "${lines[2]}" "$n" "container name"
}

@test "sdk: containers.run(detach=True) returns a Container: id, name, status, attrs, image, labels" {
	local n
	n=$(cname)
	run py_sdk "
ct = c.containers.run('busybox', ['sleep', '1000'], name='$n', detach=True, labels={'e2e.k': 'v'})
print(type(ct).__name__)
print(len(ct.id), ct.id == ct.attrs['Id'], ct.short_id == ct.id[:12])
ct.reload()
print(ct.name, ct.status)
print(ct.attrs['Name'], ct.attrs['State']['Running'], ct.attrs['State']['Pid'] > 0)
print(ct.labels)
print(ct.image.id == c.images.get('busybox').id, ct.image.tags)
print(ct.attrs['Config']['Cmd'], ct.attrs['Path'], ct.attrs['Args'])
print(ct.ports, ct.health)
"
	assert_status 0
	assert_eq "${lines[0]}" Container "return type"
	assert_eq "${lines[1]}" "64 True True" "id"
	assert_eq "${lines[2]}" "$n running" "name status"
	assert_eq "${lines[3]}" "/$n True True" "attrs Name, State"
	assert_eq "${lines[4]}" "{'e2e.k': 'v'}" labels
	assert_eq "${lines[5]}" "True ['busybox:latest']" image
	assert_eq "${lines[6]}" "['sleep', '1000'] sleep ['1000']" "Cmd Path Args"
	assert_eq "${lines[7]}" "{} unknown" "ports health"
}

@test "sdk: create + start + wait() returns {'StatusCode': 3, 'Error': None}" {
	local n
	n=$(cname)
	run py_sdk "
ct = c.containers.create('busybox', ['sh', '-c', 'exit 3'], name='$n')
ct.reload()
print(ct.status)
ct.start()
r = ct.wait(timeout=60)
print(r['StatusCode'], r.get('Error'))
ct.reload()
print(ct.status, ct.attrs['State']['ExitCode'])
# wait on an exited container answers at once
print(ct.wait(timeout=10)['StatusCode'])
"
	assert_status 0
	assert_eq "${lines[0]}" created "status after create"
	assert_eq "${lines[1]}" "3 None" "wait()"
	assert_eq "${lines[2]}" "exited 3" "status after wait"
	assert_eq "${lines[3]}" 3 "wait() again"
}

@test "sdk: exec_run: exit_code and output; user, workdir, environment; demux; stream" {
	local n
	n=$(cname)
	sleeper "$n"
	run py_sdk "
ct = c.containers.get('$n')
r = ct.exec_run(['sh', '-c', 'echo hello; exit 4'])
print(type(r).__name__, r.exit_code, repr(r.output))
r = ct.exec_run('id -u', user='1000')
print(r.exit_code, repr(r.output))
r = ct.exec_run('pwd', workdir='/tmp')
print(repr(r.output))
r = ct.exec_run(['sh', '-c', 'echo \$E2E_V'], environment={'E2E_V': 'set'})
print(repr(r.output))
r = ct.exec_run(['sh', '-c', 'echo o; echo e >&2'], demux=True)
print(r.exit_code, r.output)
r = ct.exec_run(['sh', '-c', 'echo 1; echo 2'], stream=True)
print(r.exit_code, b''.join(r.output))
r = ct.exec_run('nosuch-e2e')
print(r.exit_code in (126, 127), b'executable file not found' in r.output)
"
	assert_status 0
	assert_eq "${lines[0]}" "ExecResult 4 b'hello\\n'" "exec_run"
	assert_eq "${lines[1]}" "0 b'1000\\n'" "user"
	assert_eq "${lines[2]}" "b'/tmp\\n'" "workdir"
	assert_eq "${lines[3]}" "b'set\\n'" "environment"
	assert_eq "${lines[4]}" "0 (b'o\\n', b'e\\n')" "demux"
	assert_eq "${lines[5]}" "None b'1\\n2\\n'" "stream"
	assert_eq "${lines[6]}" "True True" "missing binary"
}

@test "sdk: exec_run on a stopped container raises APIError 409 'is not running'" {
	local n
	n=$(cname)
	run py_sdk "
ct = c.containers.create('busybox', ['sleep', '1000'], name='$n')
try:
    ct.exec_run('true')
    print('no error')
except docker.errors.APIError as e:
    print(e.status_code, 'is not running' in str(e.explanation))
"
	assert_status 0
	assert_eq "$output" "409 True"
}

@test "sdk: logs(stream=True) yields the lines and ends when the container exits; stdout/stderr, tail, timestamps, since" {
	local n
	n=$(cname)
	run py_sdk "
ct = c.containers.run('busybox', ['sh', '-c', 'echo one; echo ready; while [ ! -f /go ]; do sleep 0.1; done; echo two; echo err >&2'], name='$n', detach=True)
deadline = time.time() + 30
while b'ready' not in ct.logs() and time.time() < deadline:
    time.sleep(0.05)
# a float: a datetime goes out as whole seconds
mid = time.time()
got = []
stream = ct.logs(stream=True, follow=True)
ct.exec_run('touch /go')
for chunk in stream:
    got.append(chunk)
# the order between stdout and stderr lines is not kept across the two pipes
print(sorted(b''.join(got).decode().split()))
print(repr(ct.logs(stdout=True, stderr=False)))
print(repr(ct.logs(stdout=False, stderr=True)))
# the last two lines, in whichever order the two pipes gave them
print(sorted(ct.logs(tail=2).decode().split()))
print(sorted(l.split(' ', 1)[1] for l in ct.logs(timestamps=True, tail=2).decode().splitlines()))
print(repr(ct.logs(since=mid, stderr=False)))
"
	assert_status 0
	assert_eq "${lines[0]}" "['err', 'one', 'ready', 'two']" "followed stream"
	assert_eq "${lines[1]}" "b'one\\nready\\ntwo\\n'" "stdout only"
	assert_eq "${lines[2]}" "b'err\\n'" "stderr only"
	assert_eq "${lines[3]}" "['err', 'two']" "tail=2"
	assert_eq "${lines[4]}" "['err', 'two']" "timestamps=True"
	assert_eq "${lines[5]}" "b'two\\n'" "since"
}

@test "sdk: put_archive / get_archive: a tar in, a tar and a stat out; NotFound for a missing path" {
	local n
	n=$(cname)
	sleeper "$n"
	run py_sdk "
import io, tarfile
ct = c.containers.get('$n')
buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode='w') as t:
    data = b'hello archive\n'
    ti = tarfile.TarInfo('dir/hello.txt'); ti.size = len(data); ti.mode = 0o640
    t.addfile(ti, io.BytesIO(data))
print(ct.put_archive('/tmp', buf.getvalue()))
print(ct.exec_run('cat /tmp/dir/hello.txt').output)
print(ct.exec_run('stat -c %a /tmp/dir/hello.txt').output.strip().decode())
bits, st = ct.get_archive('/tmp/dir/hello.txt')
print(st['name'], st['size'], oct(st['mode'] & 0o777))
raw = b''.join(bits)
with tarfile.open(fileobj=io.BytesIO(raw)) as t:
    print(t.getnames(), t.extractfile('hello.txt').read())
bits, st = ct.get_archive('/tmp/dir')
with tarfile.open(fileobj=io.BytesIO(b''.join(bits))) as t:
    print(sorted(t.getnames()))
for call in (lambda: ct.get_archive('/nope-e2e'), lambda: ct.put_archive('/nope-e2e', buf.getvalue())):
    try:
        call()
        print('no error')
    except docker.errors.NotFound as e:
        print('NotFound', e.status_code)
"
	assert_status 0
	assert_eq "${lines[0]}" True "put_archive"
	assert_eq "${lines[1]}" "b'hello archive\\n'" "file in the container"
	assert_eq "${lines[2]}" 640 "its mode"
	assert_eq "${lines[3]}" "hello.txt 14 0o640" "get_archive stat"
	assert_eq "${lines[4]}" "['hello.txt'] b'hello archive\\n'" "get_archive tar"
	assert_eq "${lines[5]}" "['dir', 'dir/hello.txt']" "get_archive of a directory"
	assert_eq "${lines[6]}" "NotFound 404" "get_archive of a missing path"
	assert_eq "${lines[7]}" "NotFound 404" "put_archive to a missing path"
}

@test "sdk: kill(signal=), kill(), stop(timeout=), restart(); kill of a stopped container is APIError 409" {
	local n
	n=$(cname)
	run py_sdk "
ct = c.containers.run('busybox', ['sh', '-c', 'trap \"echo got USR1\" USR1; echo ready; while :; do sleep 0.1; done'], name='$n', detach=True)
deadline = time.time() + 30
while b'ready' not in ct.logs() and time.time() < deadline:
    time.sleep(0.05)
ct.kill(signal='SIGUSR1')
while b'got USR1' not in ct.logs() and time.time() < deadline:
    time.sleep(0.05)
ct.reload()
print(ct.status, b'got USR1' in ct.logs())
ct.kill()
print(ct.wait(timeout=30)['StatusCode'])
try:
    ct.kill()
    print('no error')
except docker.errors.APIError as e:
    print(e.status_code)
ct.restart(timeout=1)
ct.reload()
print(ct.status)
ct.stop(timeout=1)
ct.reload()
print(ct.status, ct.attrs['State']['ExitCode'])
"
	assert_status 0
	assert_eq "${lines[0]}" "running True" "after kill(signal=SIGUSR1)"
	assert_eq "${lines[1]}" 137 "after kill()"
	assert_eq "${lines[2]}" 409 "kill of a stopped container"
	assert_eq "${lines[3]}" running "after restart()"
	assert_eq "${lines[4]}" "exited 137" "after stop(timeout=1) (sh ignores SIGTERM)"
}

@test "sdk: pause/unpause, rename, update, top, stats, diff, export" {
	local n
	n=$(cname)
	track "$n-renamed"
	run py_sdk "
ct = c.containers.run('busybox', ['sh', '-c', 'touch /e2e-new; echo ready; sleep 1000'], name='$n', detach=True, mem_limit='32m')
deadline = time.time() + 30
while b'ready' not in ct.logs() and time.time() < deadline:
    time.sleep(0.05)
ct.pause(); ct.reload(); print(ct.status)
ct.unpause(); ct.reload(); print(ct.status)
ct.rename('$n-renamed'); ct.reload(); print(ct.name)
ct.update(mem_limit='48m', memswap_limit='96m'); ct.reload(); print(ct.attrs['HostConfig']['Memory'])
top = ct.top()
print(top['Titles'][-1], [p[-1] for p in top['Processes']])
st = ct.stats(stream=False)
print(st['memory_stats']['limit'], st['pids_stats']['current'] >= 1)
print(sorted((d['Path'], d['Kind']) for d in ct.diff()))
tarbytes = b''.join(ct.export())
import io, tarfile
with tarfile.open(fileobj=io.BytesIO(tarbytes)) as t:
    names = [x.lstrip('./') for x in t.getnames()]
print('bin/busybox' in names, 'e2e-new' in names)
"
	assert_status 0
	assert_eq "${lines[0]}" paused "after pause()"
	assert_eq "${lines[1]}" running "after unpause()"
	assert_eq "${lines[2]}" "$n-renamed" "after rename()"
	assert_eq "${lines[3]}" 50331648 "Memory after update()"
	assert_eq "${lines[4]}" "CMD ['sleep 1000']" "top()"
	assert_eq "${lines[5]}" "50331648 True" "stats()"
	assert_eq "${lines[6]}" "[('/e2e-new', 1)]" "diff() (Kind 1 = added)"
	assert_eq "${lines[7]}" "True True" "export()"
}

@test "sdk: remove() of a running container is APIError 409; remove(force=True); then get() raises NotFound" {
	local n
	n=$(cname)
	run py_sdk "
ct = c.containers.run('busybox', ['sleep', '1000'], name='$n', detach=True)
try:
    ct.remove()
    print('no error')
except docker.errors.APIError as e:
    print(e.status_code, e.is_client_error())
ct.remove(force=True)
try:
    c.containers.get('$n')
    print('still there')
except docker.errors.NotFound as e:
    print('NotFound', e.status_code, e.explanation)
"
	assert_status 0
	assert_eq "${lines[0]}" "409 True" "remove() of a running container"
	assert_eq "${lines[1]}" "NotFound 404 No such container: $n" "get() after remove"
}

@test "sdk: create with a name in use is APIError 409 with docker's Conflict message" {
	local n
	n=$(cname)
	run py_sdk "
a = c.containers.create('busybox', name='$n')
try:
    c.containers.create('busybox', name='$n')
    print('no error')
except docker.errors.APIError as e:
    print(e.status_code)
    print(e.explanation)
    print(a.id)
"
	assert_status 0
	assert_eq "${lines[0]}" 409 status
	assert_eq "${lines[1]}" "Conflict. The container name \"/$n\" is already in use by container \"${lines[2]}\". You have to remove (or rename) that container to be able to reuse that name." explanation
}

@test "sdk: containers.run of an image that exists nowhere raises (pull from a loopback registry fails)" {
	local n
	n=$(cname)
	run py_sdk "
try:
    c.containers.run('$FIXTURE_REGISTRY/e2e-nope-$RUN_ID:1', 'true', name='$n')
    print('no error')
except docker.errors.ImageNotFound as e:
    print('ImageNotFound', e.status_code)
except docker.errors.NotFound as e:
    print('NotFound', e.status_code)
except docker.errors.APIError as e:
    print('APIError', e.status_code)
try:
    c.containers.create('$FIXTURE_REGISTRY/e2e-nope-$RUN_ID:1', name='$n')
except docker.errors.ImageNotFound as e:
    print('create: ImageNotFound', e.status_code)
"
	assert_status 0
	[[ ${lines[0]} =~ ^(ImageNotFound|NotFound|APIError)\ [45][0-9][0-9]$ ]] || { echo "run(): ${lines[0]}" >&2; return 1; }
	assert_eq "${lines[1]}" "create: ImageNotFound 404" "create() of a missing image"
}

@test "sdk: containers.list(): running only by default, all=True, filters name/status/label/ancestor/id, limit" {
	local r e cr
	r=$(cname running)
	e=$(cname exited)
	cr=$(cname created)
	run py_sdk "
r = c.containers.run('busybox', ['sleep', '1000'], name='$r', detach=True, labels={'e2e.k': 'v'})
e = c.containers.run('busybox', ['sh', '-c', 'exit 3'], name='$e', detach=True)
e.wait(timeout=60)
cr = c.containers.create('busybox', name='$cr')
def names(**kw):
    f = dict(kw.pop('filters', {}))
    f.setdefault('name', '$CT_PREFIX')
    return ' '.join(sorted(x.name for x in c.containers.list(filters=f, **kw)))
print(names())
print(names(all=True))
print(names(all=True, filters={'status': 'exited'}))
print(names(all=True, filters={'status': 'created'}))
print(names(all=True, filters={'label': 'e2e.k=v'}))
print(names(all=True, filters={'ancestor': 'busybox'}))
print(names(all=True, filters={'id': e.id}))
print(names(all=True, filters={'exited': 3}))
print(len(c.containers.list(all=True, limit=1, filters={'name': '$CT_PREFIX'})))
print(c.containers.list(all=True, limit=1, filters={'name': '$CT_PREFIX'})[0].id == cr.id)
sp = c.containers.list(sparse=True, filters={'name': '$r'})[0]
print(sp.attrs['Names'], sp.attrs['State'])
"
	assert_status 0
	assert_eq "${lines[0]}" "$r" "list()"
	assert_eq "${lines[1]}" "$cr $e $r" "list(all=True)"
	assert_eq "${lines[2]}" "$e" "status=exited"
	assert_eq "${lines[3]}" "$cr" "status=created"
	assert_eq "${lines[4]}" "$r" "label=e2e.k=v"
	assert_eq "${lines[5]}" "$cr $e $r" "ancestor=busybox"
	assert_eq "${lines[6]}" "$e" "id="
	assert_eq "${lines[7]}" "$e" "exited=3"
	assert_eq "${lines[8]}" 1 "limit=1"
	assert_eq "${lines[9]}" True "limit=1 is the newest"
	assert_eq "${lines[10]}" "['/$r'] running" "sparse list attrs"
}

@test "sdk: attrs of a container made with resource options (HostConfig, Config)" {
	local n
	n=$(cname)
	run py_sdk "
ct = c.containers.create('busybox', ['sh'], name='$n', mem_limit='32m', nano_cpus=500000000, cpu_shares=512,
    pids_limit=50, restart_policy={'Name': 'on-failure', 'MaximumRetryCount': 2}, read_only=True,
    tmpfs={'/run': 'size=1m'}, cap_drop=['NET_RAW'], environment={'E2E_A': '1'}, working_dir='/tmp',
    user='1000:1000', hostname='e2e-h', network_mode='none', extra_hosts={'a': '127.0.0.2'},
    ulimits=[docker.types.Ulimit(name='nofile', soft=1024, hard=1024)], entrypoint=['/bin/sh', '-c'], init=True)
h = ct.attrs['HostConfig']
print(h['Memory'], h['NanoCpus'], h['CpuShares'], h['PidsLimit'])
print(h['RestartPolicy'], h['ReadonlyRootfs'], h['Tmpfs'], h['CapDrop'], h['NetworkMode'], h['ExtraHosts'], h['Init'])
print([(u['Name'], u['Soft'], u['Hard']) for u in h['Ulimits']])
cf = ct.attrs['Config']
print('E2E_A=1' in cf['Env'], any(e.startswith('PATH=') for e in cf['Env']))
print(cf['WorkingDir'], cf['User'], cf['Hostname'], cf['Entrypoint'], cf['Cmd'], cf['Image'])
"
	assert_status 0
	assert_eq "${lines[0]}" "33554432 500000000 512 50" "Memory NanoCpus CpuShares PidsLimit"
	assert_eq "${lines[1]}" "{'Name': 'on-failure', 'MaximumRetryCount': 2} True {'/run': 'size=1m'} ['NET_RAW'] none ['a:127.0.0.2'] True" "HostConfig"
	assert_eq "${lines[2]}" "[('nofile', 1024, 1024)]" Ulimits
	assert_eq "${lines[3]}" "True True" "Env"
	assert_eq "${lines[4]}" "/tmp 1000:1000 e2e-h ['/bin/sh', '-c'] ['sh'] busybox" "Config"
}

@test "sdk: containers.prune(filters=label) returns ContainersDeleted and SpaceReclaimed" {
	local a b r
	a=$(cname a)
	b=$(cname b)
	r=$(cname running)
	run py_sdk "
lab = {'e2e.prune': '$CT_PREFIX'}
a = c.containers.run('busybox', 'true', name='$a', labels=lab, detach=True)
a.wait(timeout=60)
b = c.containers.create('busybox', name='$b', labels=lab)
r = c.containers.run('busybox', ['sleep', '1000'], name='$r', labels=lab, detach=True)
res = c.containers.prune(filters={'label': 'e2e.prune=$CT_PREFIX'})
print(sorted(res['ContainersDeleted']) == sorted([a.id, b.id]), type(res['SpaceReclaimed']).__name__)
print(sorted(x.name for x in c.containers.list(all=True, filters={'label': 'e2e.prune=$CT_PREFIX'})))
"
	assert_status 0
	assert_eq "${lines[0]}" "True int" "prune() result"
	assert_eq "${lines[1]}" "['$r']" "left after prune"
}

@test "sdk: containers.get() of a missing container raises NotFound with dockerd's message" {
	run py_sdk "
try:
    c.containers.get('e2e-nope-$RUN_ID')
except docker.errors.NotFound as e:
    print(e.status_code, e.explanation)
"
	assert_status 0
	assert_eq "$output" "404 No such container: e2e-nope-$RUN_ID"
}

@test "sdk: attach(stream=True) of a running container yields its output until it exits" {
	local n
	n=$(cname)
	run py_sdk "
ct = c.containers.run('busybox', ['sh', '-c', 'echo first; while [ ! -f /go ]; do sleep 0.1; done; echo second'], name='$n', detach=True)
deadline = time.time() + 30
while b'first' not in ct.logs() and time.time() < deadline:
    time.sleep(0.05)
s = ct.attach(stream=True, stdout=True, stderr=True, logs=False)
ct.exec_run('touch /go')
print(repr(b''.join(s)))
"
	assert_status 0
	assert_eq "${lines[0]}" "b'second\\n'" "attach(stream=True) of a running container"
}

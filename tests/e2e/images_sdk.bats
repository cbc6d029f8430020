#!/usr/bin/env bats
# Images through the Python docker SDK (7.x): images.pull/list/get/remove,
# Image.tag/history/save, images.load/prune/get_registry_data, and the
# SDK's error classes (ImageNotFound needs dockerd's "No such image" text).
# save, load, prune and /distribution are skipped while the daemon answers
# them 501; the tests run as they are once the endpoints exist.
#
# Needs the fixture registry on 127.0.0.1:5000 as the docker.io mirror.

load helpers
load images_helpers

setup_file() {
	e2e_setup_file
	require_fixtures
	python3 -c 'import docker' 2>/dev/null || skip "Python docker SDK not installed (pip install docker)"
	save_daemon_args --registry-mirror "http://$FIXTURE_REGISTRY"
	start_env_daemon
	case $(uname -m) in
	x86_64) HOST_ARCH=amd64 OTHER_ARCH=arm64 ;;
	*) HOST_ARCH=arm64 OTHER_ARCH=amd64 ;;
	esac
	export HOST_ARCH OTHER_ARCH
}

teardown_file() {
	e2e_teardown_file
}

setup() { img_setup; }

teardown() { img_teardown; }

R=$FIXTURE_REGISTRY

# Python prelude: NOTIMPL(e) exits 3 when an APIError is a 501.
NOTIMPL='
def notimpl(e):
    if isinstance(e, docker.errors.APIError) and e.status_code == 501:
        print("NOTIMPL", e.explanation)
        sys.exit(3)
    raise e
'

skip_if_notimpl() { # WHAT
	if [ "$status" = 3 ] && [[ $output == *NOTIMPL* ]]; then
		skip "$1 not implemented yet (the daemon answers 501)"
	fi
}

host_config_digest() {
	config_digest "$R" library/busybox "$(platform_manifest "$R" library/busybox latest "$HOST_ARCH")"
}

@test "sdk: images.pull('busybox') returns the Image: tags, id = config digest" {
	local cfg
	cfg=$(host_config_digest)
	run py_sdk "
img = c.images.pull('busybox')
print(type(img).__name__)
print(img.id)
print(img.tags)
print(img.attrs['Architecture'])
"
	assert_status 0
	assert_eq "${lines[0]}" Image "return type"
	assert_eq "${lines[1]}" "$cfg" id
	assert_eq "${lines[2]}" "['busybox:latest']" tags
	assert_eq "${lines[3]}" "$HOST_ARCH" Architecture
}

@test "sdk: api.pull(stream=True, decode=True) yields progress dicts" {
	run py_sdk "
msgs = list(c.api.pull('busybox', tag='latest', stream=True, decode=True))
assert all(isinstance(m, dict) for m in msgs), msgs
print(msgs[0].get('status'), msgs[0].get('id'))
print(msgs[-1].get('status'))
print(len([m for m in msgs if 'error' in m]))
"
	assert_status 0
	assert_eq "${lines[0]}" "Pulling from library/busybox latest" "first message"
	assert_eq "${lines[1]}" "Status: Image is up to date for busybox:latest" "last message"
	assert_eq "${lines[2]}" 0 "error messages"
}

@test "sdk: images.pull(platform=<other arch>) then the host's: the first becomes dangling" {
	run py_sdk "
other = c.images.pull('busybox', platform='linux/$OTHER_ARCH')
print(other.attrs['Architecture'])
host = c.images.pull('busybox')
print(host.attrs['Architecture'])
dangling = c.images.list(filters={'dangling': True})
print(other.id in [i.id for i in dangling])
print(host.id in [i.id for i in dangling])
"
	assert_status 0
	assert_eq "${lines[0]}" "$OTHER_ARCH" "platform pull"
	assert_eq "${lines[1]}" "$HOST_ARCH" "host pull"
	assert_eq "${lines[2]}" True "other platform's image dangling"
	assert_eq "${lines[3]}" False "host image dangling"
}

@test "sdk: images.list() with name, all and filters" {
	run py_sdk "
c.images.pull('busybox')
img = c.images.get('busybox')
print(img.id in [i.id for i in c.images.list()])
named = c.images.list(name='busybox')
print([i.tags for i in named])
print(img.id in [i.id for i in c.images.list(all=True)])
print(img.id in [i.id for i in c.images.list(filters={'reference': 'bus*'})])
print(img.id in [i.id for i in c.images.list(filters={'dangling': True})])
print(len(c.images.list(name='nope-nothing')))
"
	assert_status 0
	assert_eq "${lines[0]}" True "in list()"
	assert_eq "${lines[1]}" "[['busybox:latest']]" "list(name='busybox')"
	assert_eq "${lines[2]}" True "in list(all=True)"
	assert_eq "${lines[3]}" True "in list(reference=bus*)"
	assert_eq "${lines[4]}" False "in list(dangling=True)"
	assert_eq "${lines[5]}" 0 "list(name=nope-nothing)"
}

@test "sdk: images.get('busybox'): tags, id, short_id, attrs, history" {
	local cfg idx
	cfg=$(host_config_digest)
	idx=$(index_digest "$R" library/busybox latest)
	run py_sdk "
img = c.images.get('busybox')
print(img.tags)
print(img.id)
print(img.short_id)
print(img.attrs['RepoDigests'])
print(img.attrs['Os'], img.attrs['Config']['Cmd'])
print(img.labels)
h = img.history()
print(len(h), h[0]['Id'])
print(c.images.get(img.id[7:19]).id)
"
	assert_status 0
	assert_eq "${lines[0]}" "['busybox:latest']" tags
	assert_eq "${lines[1]}" "$cfg" id
	assert_eq "${lines[2]}" "${cfg:0:19}" short_id
	assert_eq "${lines[3]}" "['busybox@$idx']" RepoDigests
	assert_eq "${lines[4]}" "linux ['sh']" "Os, Cmd"
	assert_eq "${lines[5]}" "{}" labels
	assert_eq "${lines[6]}" "1 $cfg" "history"
	assert_eq "${lines[7]}" "$cfg" "get by short ID"
}

@test "sdk: images.get of a missing image raises ImageNotFound" {
	run py_sdk "
for name in ('nope', 'nope:1', 'sha256:' + '0' * 64):
    try:
        c.images.get(name)
        print('found', name)
    except docker.errors.ImageNotFound as e:
        print('ImageNotFound', e.status_code)
"
	assert_status 0
	assert_eq "$output" $'ImageNotFound 404\nImageNotFound 404\nImageNotFound 404' "get of missing images"
}

@test "sdk: Image.tag, images.remove: untag, 409 for an ID in two repositories, force deletes" {
	run py_sdk "
img = c.images.pull('busybox')
print(img.tag('127.0.0.1:5000/sdk/bb', 'v1'))
img.reload()
print(sorted(img.tags))
try:
    c.images.remove(img.id)
    print('removed?')
except docker.errors.APIError as e:
    print('APIError', e.status_code, 'must be forced' in str(e.explanation))
c.images.remove('127.0.0.1:5000/sdk/bb:v1')
print(c.images.get(img.id).tags)
img.tag('127.0.0.1:5000/sdk/bb', 'v1')
c.images.remove(img.id, force=True)
try:
    c.images.get(img.id)
    print('still there')
except docker.errors.ImageNotFound:
    print('gone')
"
	assert_status 0
	assert_eq "${lines[0]}" True "tag()"
	assert_eq "${lines[1]}" "['127.0.0.1:5000/sdk/bb:v1', 'busybox:latest']" "tags after tag()"
	assert_eq "${lines[2]}" "APIError 409 True" "remove(id) with two repositories"
	assert_eq "${lines[3]}" "['busybox:latest']" "tags after removing one"
	assert_eq "${lines[4]}" gone "remove(id, force=True)"
}

@test "sdk: pull of a missing tag from a direct registry raises NotFound (manifest unknown)" {
	run py_sdk "
try:
    c.images.pull('127.0.0.1:5000/library/busybox', tag='nope')
    print('pulled?')
except docker.errors.NotFound as e:
    print('NotFound', e.status_code)
    print(e.explanation)
"
	assert_status 0
	assert_eq "${lines[0]}" "NotFound 404" "exception"
	assert_contains "${lines[1]}" "manifest for 127.0.0.1:5000/library/busybox:nope not found: manifest unknown"
}

@test "sdk: Image.save() then images.load() round trip keeps the ID and the tag" {
	run py_sdk "$NOTIMPL
import io, tarfile
img = c.images.pull('busybox')
try:
    data = b''.join(img.save(named=True))
except docker.errors.APIError as e:
    notimpl(e)
t = tarfile.open(fileobj=io.BytesIO(data))
names = t.getnames()
m = json.load(t.extractfile('manifest.json'))
print(m[0]['RepoTags'])
print(m[0]['Config'].split('/')[-1].replace('.json', '') == img.id[7:])
c.images.remove(img.id, force=True)
try:
    loaded = c.images.load(data)
except docker.errors.APIError as e:
    notimpl(e)
print([i.id for i in loaded] == [img.id])
print(c.images.get('busybox').id == img.id)
"
	skip_if_notimpl "GET /images/{name}/get or POST /images/load"
	assert_status 0
	assert_eq "${lines[0]}" "['busybox:latest']" "RepoTags in manifest.json"
	assert_eq "${lines[1]}" True "config named by the image ID"
	assert_eq "${lines[2]}" True "load() returns the same image"
	assert_eq "${lines[3]}" True "busybox:latest points at it again"
}

@test "sdk: images.get_registry_data('busybox'): the index digest and its platforms" {
	local idx
	idx=$(index_digest "$R" library/busybox latest)
	run py_sdk "$NOTIMPL
try:
    rd = c.images.get_registry_data('busybox')
except docker.errors.APIError as e:
    notimpl(e)
print(rd.id)
print(rd.has_platform('linux/amd64'), rd.has_platform('linux/arm64/v8'), rd.has_platform('linux/s390x'))
"
	skip_if_notimpl "GET /distribution/{name}/json"
	assert_status 0
	assert_eq "${lines[0]}" "$idx" "Descriptor digest"
	assert_eq "${lines[1]}" "True True False" "platforms"
}

@test "sdk: images.prune(dangling) removes the replaced image only" {
	run py_sdk "$NOTIMPL
other = c.images.pull('busybox', platform='linux/$OTHER_ARCH')
host = c.images.pull('busybox')
try:
    r = c.images.prune(filters={'dangling': True})
except docker.errors.APIError as e:
    notimpl(e)
deleted = [d.get('Deleted') for d in (r.get('ImagesDeleted') or [])]
print(other.id in deleted, host.id in deleted)
print(isinstance(r.get('SpaceReclaimed'), int) and r['SpaceReclaimed'] > 0)
print(len(c.images.list(filters={'dangling': True})))
print(c.images.get('busybox').id == host.id)
"
	skip_if_notimpl "POST /images/prune"
	assert_status 0
	assert_eq "${lines[0]}" "True False" "deleted: other platform's image, not the host's"
	assert_eq "${lines[1]}" True "SpaceReclaimed > 0"
	assert_eq "${lines[2]}" 0 "dangling images left"
	assert_eq "${lines[3]}" True "busybox kept"
}

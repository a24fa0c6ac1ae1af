#!/usr/bin/env bats
# Run only by tests/vm-harness.bats: a suite that must fail inside the guest.

@test "a test that fails inside the guest" {
	grep -qw device-mapper /proc/devices
	false
}

"""What the tests run against: the Bot API emulator, servers, fixtures, samples."""

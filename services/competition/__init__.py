"""The competition service: contests, rounds, judging, awards and landing."""

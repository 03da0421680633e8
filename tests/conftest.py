"""The tests compute on the pages' code paths: the CPU pins (vaelab.cpu), opted in before any test runs."""
from vaelab import cpu

cpu.pin()

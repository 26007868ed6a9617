.PHONY: demo test lint typecheck check gazetteer

demo:
	digest demo

test:
	pytest

lint:
	ruff check .
	ruff format --check .

typecheck:
	mypy --strict digest

check: lint typecheck test

gazetteer:
	python scripts/build_gazetteer.py

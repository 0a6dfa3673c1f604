module github.com/coder/aibridge

go 1.24

module github.com/coder/boundary

go 1.24

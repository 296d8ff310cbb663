module nodepool-controller/tests/image/pause

go 1.26.0

package db

// HandleSkeleton exposes handleSkeleton to the tests, which check it
// against the database's name_skeleton.
var HandleSkeleton = handleSkeleton

"""Set encoders over padded constituent sets, their init nets and poolings."""
